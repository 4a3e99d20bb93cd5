"""What differs between task families, behind one interface the harness calls.

A family adapter knows how to offer natural carriers and hidden fields to inverters, how to
validate what an inverter returned, how to turn a batch of inversions into the scoring fields the
task's metrics read (re-running the forward model and the task's judges: the harness scores,
never the inverter), and how to save recovered inputs as artifacts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from invbench.contracts.errors import InvalidInversion
from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.inversion import Inversion
from invbench.plugins.catalog import FAMILIES
from invbench.targets.target_set import TargetItem, TargetSet


class FamilyAdapter(ABC):
    family: ClassVar[str]
    carrier_field: ClassVar[str | None] = None  # the hidden field natural carriers come from
    # judge name -> the scoring field its output fills (e.g. the transfer captioner's caption)
    judge_fields: ClassVar[dict[str, str]] = {}

    def __init__(self, judges: Mapping[str, ForwardModel] | None = None) -> None:
        self.judges = dict(judges or {})

    def carriers(self, target_set: TargetSet, items: Sequence[TargetItem]) -> list[Any] | None:
        """For the target at position i of the full set, the natural reference of the target
        half the set away: always another target, and independent of ``--limit``/``--shard``."""
        if self.carrier_field is None:
            return None
        position = {item.id: i for i, item in enumerate(target_set.items)}
        n = len(target_set.items)
        others = [target_set.items[(position[item.id] + n // 2) % n] for item in items]
        if any(self.carrier_field not in other.hidden for other in others):
            return None  # e.g. text-only asr targets: no natural input to start from
        return [other.hidden[self.carrier_field] for other in others]

    def field_sources(self) -> dict[str, str]:
        """Which judge model filled which scoring field (recorded in metric signatures)."""
        sources = {}
        for judge, field in self.judge_fields.items():
            if judge in self.judges:
                model = self.judges[judge]
                sources[field] = f"{model.model_id}@{model.weights_sha256[:12]}"
        return sources

    def add_transfer(self, inputs: Sequence[Any], fields: dict[str, list[Any]],
                     outputs: list[dict[str, Any]], output_name: str) -> None:
        """With a ``transfer`` judge (a second, independent model of the same kind), its outputs
        for the recovered ``inputs``: the scoring field ``transfer_hypothesis`` and, per item,
        ``output_name`` in the record."""
        if "transfer" not in self.judges:
            return
        transfer = self.judges["transfer"].run(inputs)
        fields["transfer_hypothesis"] = transfer
        for out, text in zip(outputs, transfer, strict=True):
            out[output_name] = text

    input_type: ClassVar[type]  # what ``Inversion.x`` must hold (``Waveform``, ``Image``)

    def validate(self, inversion: Inversion, model: ForwardModel) -> None:
        """Raise ``InvalidInversion`` naming what is wrong with ``inversion``."""
        if not isinstance(inversion, Inversion):
            raise InvalidInversion(f"expected an Inversion, got {type(inversion).__name__}")
        if not isinstance(inversion.x, self.input_type):
            name = self.input_type.__name__
            article = "an" if name[0] in "AEIOU" else "a"
            raise InvalidInversion(
                f"{self.family} inversions must hold {article} {name} in .x, "
                f"got {type(inversion.x).__name__}"
            )
        inversion.x.validate(model.input_spec)

    @abstractmethod
    def scoring_fields(
        self, model: ForwardModel, items: Sequence[TargetItem], inversions: Sequence[Inversion]
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
        """``({field: [value per item]}, [what to record per item, e.g. the transcript]}``."""

    @abstractmethod
    def save_artifacts(self, inversion: Inversion, folder: Path, stem: str) -> dict[str, str]:
        """Write the recovered input under ``folder``; return ``{kind: path}``."""


def family_adapter(family: str, judges: Mapping[str, ForwardModel] | None = None) -> FamilyAdapter:
    """The adapter of ``family`` (registered in ``FAMILIES``, entry-point group
    ``invbench.families``), given the task's judge models."""
    return FAMILIES.get(family)(judges)
