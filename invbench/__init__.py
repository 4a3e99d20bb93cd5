"""invbench: a benchmark and metrics suite for inverting multimodal models.

The public API: the contracts (``ForwardModel``, ``Inverter``, ``InversionProblem``,
``Inversion``, ``Metric``, ``TaskSpec``, media containers), the plug-in decorators
``register_inverter``, ``register_model`` and ``register_metric``, and ``evaluate`` /
``EvaluationResults`` (the Python entry point ``invbench evaluate`` calls).
"""

import os
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from invbench.api import EvaluationResults, evaluate

__version__ = "0.1.0"
__all__ = [*_contracts, "register_inverter", "register_model", "register_metric", "evaluate",
           "EvaluationResults", "__version__"]
_LAZY = ("evaluate", "EvaluationResults")


def __getattr__(name: str) -> Any:
    # the API pulls in the harness (models, metrics, the store): load it on first use only, so
    # a plug-in that imports invbench for BaseInverter stays light
    if name in _LAZY:
        from invbench import api

        return getattr(api, name)
    raise AttributeError(f"module 'invbench' has no attribute {name!r}")
