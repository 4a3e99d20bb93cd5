"""The contract for a model under inversion (docs/contracts.md).

A forward model offers two entry points: ``run`` (no gradients, what scoring uses) and
``objective`` (a differentiable per-item loss toward the targets, what inverters optimise). It
counts forward and backward passes per item so the harness can enforce and report budgets.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

Modality = Literal["audio", "image", "text"]


@dataclass
class CallCounter:
    """Forward and backward passes, counted per item (a batch of 4 counts 4)."""

    forward: int = 0
    backward: int = 0

    def snapshot(self) -> tuple[int, int]:
        return self.forward, self.backward


@dataclass
class ObjectiveResult:
    """What ``ForwardModel.objective`` returns.

    ``loss`` is one differentiable value per item (never averaged over the batch, so one item's
    gradient never depends on its batch-mates). ``success`` says, per item, whether the model
    would already produce the target (e.g. teacher-forced argmax equals every target token, which
    implies greedy decoding emits exactly the target); inverters may use it to stop early.
    """

    loss: torch.Tensor
    success: torch.Tensor
    extras: dict[str, Any] = field(default_factory=dict)


class ForwardModel(ABC):
    """Base class for wrapped models under inversion.

    Subclasses set ``model_id``, the modalities and ``input_spec``, implement ``_run`` and
    ``_objective``, and report ``weights_sha256`` so results can name the exact weights.
    """

    model_id: str
    input_modality: Modality
    output_modality: Modality
    input_spec: Any

    def __init__(self) -> None:
        self.calls = CallCounter()

    @property
    @abstractmethod
    def weights_sha256(self) -> str:
        """Hash of the weights actually loaded (recorded in run manifests and signatures)."""

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def run(self, inputs: Sequence[Any]) -> list[Any]:
        """Outputs for a batch of inputs, without gradients (used for scoring)."""
        with torch.no_grad():
            outputs = self._run(inputs)
        self.calls.forward += len(inputs)
        return outputs

    def objective(self, x: Any, targets: Sequence[Any], **options: Any) -> ObjectiveResult:
        """Differentiable per-item loss of producing ``targets`` from ``x``.

        ``options`` are model-specific switches of the objective (recorded by the inverter's
        config, which is hashed into results). Backward passes are counted when they happen.
        """
        result = self._objective(x, targets, **options)
        n = len(targets)
        self.calls.forward += n
        if result.loss.requires_grad:
            result.loss.register_hook(self._count_backward(n))
        return result

    def _count_backward(self, n: int):
        def hook(grad: torch.Tensor) -> torch.Tensor:
            self.calls.backward += n
            return grad

        return hook

    def describe(self) -> dict[str, Any]:
        """What a run manifest records about this model."""
        return {"model_id": self.model_id, "weights_sha256": self.weights_sha256}

    @abstractmethod
    def _run(self, inputs: Sequence[Any]) -> list[Any]: ...

    @abstractmethod
    def _objective(self, x: Any, targets: Sequence[Any], **options: Any) -> ObjectiveResult: ...
