"""The metric contract.

A metric family (one file under ``invbench/metrics``) scores items independently: it declares the
scoring fields it ``requires`` (e.g. ``hypothesis`` and ``target_text``), the ``outputs`` it
produces with their direction and range, and a sacrebleu-style ``signature`` naming everything
that changes a value, its version last. Because each item is scored on its own, batch size can
never change a score; set-level metrics (FID/KID) add mergeable sufficient statistics later.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


class MetricInputError(ValueError):
    """An item cannot be scored by this metric (recorded per item with this message)."""


@dataclass(frozen=True)
class MetricOutput:
    """One number a metric produces: its name, direction and range."""

    name: str
    higher_is_better: bool
    value_range: tuple[float, float]
    description: str = ""


def value_problem(outputs: Sequence[MetricOutput], values: Mapping[str, Any]) -> str | None:
    """Why ``values`` cannot be recorded, or None. NaN never can; an infinity only where the
    output's declared range reaches it (PSNR of identical images is +inf, a true value)."""
    ranges = {out.name: out.value_range for out in outputs}
    bad = []
    for name, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
            bad.append(name)
        elif math.isinf(value):
            low, high = ranges.get(name, (0.0, 0.0))  # undeclared: finite only
            if value != (high if value > 0 else low):
                bad.append(name)
    return f"non-finite value for {bad}" if bad else None


@dataclass
class ItemScores:
    """A metric's result for one item: values by output name, or the reason it has none."""

    values: dict[str, float] = field(default_factory=dict)
    error: str | None = None


class Metric(ABC):
    """Base class for metric families."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    outputs: ClassVar[tuple[MetricOutput, ...]] = ()
    reference: ClassVar[str] = ""  # the library a test checks this metric against

    def settings(self) -> dict[str, Any]:
        """Every setting that changes a value (library versions included), for the signature."""
        return {}

    def signature(self) -> str:
        """``name|key:value|...|version:N``, as sacrebleu does: equal signatures, comparable."""
        parts = [self.name, *(f"{k}:{v}" for k, v in self.settings().items())]
        parts.append(f"version:{self.version}")
        return "|".join(parts)

    @abstractmethod
    def score_item(self, **fields: Any) -> dict[str, float]:
        """Values for one item; raise :class:`MetricInputError` if the item cannot be scored."""

    def per_item(
        self, fields: Mapping[str, Sequence[Any]], fn: Callable[..., Any]
    ) -> list[tuple[Any, str | None]]:
        """``fn(**item)`` for each item of ``{field: [value per item]}``: ``(result, None)`` or
        ``(None, reason)``. One item's failure (bad input or a bug) never costs the others."""
        missing = [name for name in self.requires if name not in fields]
        if missing:
            raise KeyError(f"metric {self.name!r} needs scoring fields {missing}")
        n = len(fields[self.requires[0]]) if self.requires else 0
        out: list[tuple[Any, str | None]] = []
        for i in range(n):
            item = {name: fields[name][i] for name in self.requires}
            try:
                out.append((fn(**item), None))
            except MetricInputError as exc:
                out.append((None, f"{self.name}: {exc}"))
            except Exception as exc:
                text = " ".join(str(exc).split())
                out.append((None, f"{self.name}: {type(exc).__name__}: {text}"))
        return out

    def score(self, fields: Mapping[str, Sequence[Any]]) -> list[ItemScores]:
        """Score a batch given as ``{field: [value per item]}``; one failure stays per item."""
        results = []
        for values, error in self.per_item(fields, self.score_item):
            problem = None if error else value_problem(self.outputs, values)
            if problem:
                error = f"{self.name}: {problem}"
            if error:
                results.append(ItemScores(error=error))
            else:
                results.append(ItemScores(values=values))
        return results
