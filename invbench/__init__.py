"""invbench: a benchmark and metrics suite for inverting multimodal models.

The public API: the contracts (``ForwardModel``, ``Inverter``, ``InversionProblem``,
``Inversion``, ``Metric``, ``TaskSpec``, media containers) and the plug-in decorators
``register_inverter``, ``register_model`` and ``register_metric``.
"""

import os

# OpenMP threads that spin while waiting made a Whisper step 30x slower whenever another process
# held a core (measured on 2-core machines); passive waiting costs nothing measurable otherwise.
# Set before torch is first imported; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from invbench.contracts import *  # noqa: E402, F403 - the contracts are the public API
from invbench.contracts import __all__ as _contracts  # noqa: E402
from invbench.plugins.catalog import (  # noqa: E402
    register_inverter,
    register_metric,
    register_model,
)

__version__ = "0.1.0"
__all__ = [*_contracts, "register_inverter", "register_model", "register_metric", "__version__"]
