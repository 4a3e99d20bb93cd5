"""What differs between task families, behind one interface the runner calls.

A family adapter knows how to offer natural carriers and hidden fields to inverters, how to
validate what an inverter returned, how to turn a batch of inversions into the scoring fields the
task's metrics read (re-running the forward model: the harness scores, never the inverter), and
how to save recovered inputs as artifacts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.inversion import Inversion
from invbench.target_sets import TargetItem, TargetSet


class FamilyAdapter(ABC):
    family: str

    def carriers(self, target_set: TargetSet, items: Sequence[TargetItem]) -> list[Any] | None:
        """Natural inputs from *other* targets, one per item (None: the family has none)."""
        return None

    @abstractmethod
    def validate(self, inversion: Inversion, model: ForwardModel) -> None:
        """Raise ``InvalidInversion`` naming what is wrong with ``inversion``."""

    @abstractmethod
    def scoring_fields(
        self, model: ForwardModel, items: Sequence[TargetItem], inversions: Sequence[Inversion]
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
        """``({field: [value per item]}, [what to record per item, e.g. the transcript]}``."""

    @abstractmethod
    def save_artifacts(self, inversion: Inversion, folder: Path, stem: str) -> dict[str, str]:
        """Write the recovered input under ``folder``; return ``{kind: path}``."""


_ADAPTERS = {"asr": "invbench.scoring.asr:ASRFamily"}


def family_adapter(family: str) -> FamilyAdapter:
    from invbench.registry import resolve_lazy

    if family not in _ADAPTERS:
        raise NotImplementedError(f"task family {family!r} has no scoring adapter yet")
    return resolve_lazy(_ADAPTERS[family])()
