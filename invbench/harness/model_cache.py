"""Forward models built once per (id, options) on one device.

``invbench evaluate`` shares one cache across its tasks (a judge named by two tasks is loaded
once); ``invbench prepare`` hands its ``get`` to the target preparation as the model provider.
"""

from __future__ import annotations

from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.task_spec import ModelRef
from invbench.models.placement import check_device
from invbench.plugins.catalog import FORWARD_MODELS


class ModelCache:
    """Forward models built once per (id, options) on one device, shared by every task (and by
    ``invbench prepare``) that names them."""

    def __init__(self, device: str) -> None:
        check_device(device)  # a typo such as "gpu" fails here, before any model loads
        self.device = device
        self._models: dict[str, ForwardModel] = {}

    def get(self, ref: ModelRef) -> ForwardModel:
        key = ref.model_dump_json()
        if key not in self._models:
            factory = FORWARD_MODELS.get(ref.id)
            self._models[key] = factory(**ref.options, device=self.device)
        return self._models[key]
