"""What an inverter is given (``InversionProblem``) and what it returns (``Inversion``)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field

from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.query_access import QueryOnlyModel


class Budget(BaseModel):
    """Per-target limits. ``max_steps`` bounds optimisation steps; the other two are enforced by
    the harness, which counts forward passes and wall-clock time per item.

    A query-only inverter has no steps of its own: it spends ``queries_per_target()`` model
    queries (inputs passed to ``run``), counted and enforced by its ``QueryOnlyModel`` handle.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_steps: int = Field(200, ge=0)
    max_forward_calls: int | None = Field(None, ge=1)
    max_seconds: float | None = Field(None, gt=0)

    def queries_per_target(self) -> int:
        """A query-only inverter's queries per target: ``max_forward_calls`` when the task sets
        it, else ``max_steps`` (one query per step)."""
        return self.max_forward_calls if self.max_forward_calls is not None else self.max_steps


@dataclass(frozen=True)
class Target:
    """One target as an inverter sees it: its id, the visible payload and metadata.

    For ``asr`` the payload is ``{"text": ...}``. Hidden reference fields (the natural rendering,
    the prompt that made an image) are not here; only oracle inverters get them, through
    ``InversionProblem.hidden``.
    """

    id: str
    payload: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


def item_seed(seed: int, target_id: str) -> int:
    """A per-item seed from the run seed and the target id.

    Seeding per item, not per batch, makes an item's result independent of which other items
    share its batch — the property that lets an interrupted run resume to the same numbers.
    """
    digest = hashlib.sha256(f"{seed}:{target_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF


ProgressHook = Callable[[int, int], None]


@dataclass
class InversionProblem:
    """A batch of targets to invert, with the model handle and the budget.

    ``forward`` is the model itself for a white-box inverter and a ``QueryOnlyModel`` (``run``
    only, queries counted against the budget) for a query-only one.

    ``carriers`` (when the task provides them) are natural inputs taken from *other* targets,
    aligned with ``targets``: a starting point for perturbation-style inverters.
    """

    task: str
    family: str
    targets: list[Target]
    forward: ForwardModel | QueryOnlyModel
    budget: Budget
    seed: int
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    progress: ProgressHook = lambda step, total: None
    carriers: list[Any] | None = None
    hidden: list[dict[str, Any]] | None = None
    started_at: float = field(default_factory=time.monotonic)

    def __len__(self) -> int:
        return len(self.targets)

    def generator(self, index: int) -> torch.Generator:
        """A CPU RNG for item ``index``, seeded from the run seed and the target id."""
        return torch.Generator().manual_seed(item_seed(self.seed, self.targets[index].id))

    def max_steps(self, wanted: int) -> int:
        """The number of steps an inverter may take: its own setting capped by the budget."""
        return min(wanted, self.budget.max_steps)

    def out_of_budget(self) -> bool:
        """True once another forward pass over the batch would exceed the forward-call or time
        budget; inverters check this each step and return their best result so far."""
        n = len(self.targets)
        calls = getattr(self.forward, "calls", None)
        max_calls, max_seconds = self.budget.max_forward_calls, self.budget.max_seconds
        if max_calls is not None and calls is not None and calls.forward + n > max_calls * n:
            return True
        return max_seconds is not None and time.monotonic() - self.started_at > max_seconds * n


@dataclass
class Inversion:
    """One recovered input.

    ``x`` is the typed input the forward model consumes (``Waveform`` for audio). Text inverters
    may add ``soft_embeddings`` / ``token_ids``. ``carrier`` is the natural input the inverter
    started from, if any (scoring measures the perturbation against it). ``steps`` and
    ``loss_trace`` describe the optimisation; ``info`` holds anything else worth recording.
    """

    x: Any
    soft_embeddings: torch.Tensor | None = None
    token_ids: list[int] | None = None
    carrier: Any | None = None
    steps: int = 0
    loss_trace: list[float] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
