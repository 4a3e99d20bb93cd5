"""invbench: a benchmark and metrics suite for inverting multimodal models.

The public API: the contracts (``ForwardModel``, ``Inverter``, ``InversionProblem``,
``Inversion``, ``Metric``, ``TaskSpec``, media containers) and ``register_inverter``.
"""

from invbench.catalog import register_inverter
from invbench.contracts import *  # noqa: F403 - the contracts are the public API
from invbench.contracts import __all__ as _contracts

__version__ = "0.1.0"
__all__ = [*_contracts, "register_inverter", "__version__"]
