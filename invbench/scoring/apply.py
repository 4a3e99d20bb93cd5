"""Apply a task's metrics to a batch of scoring fields, keeping failures per item."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from invbench.contracts.metric import Metric


@dataclass
class ItemResult:
    scores: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def output_info(metrics: Sequence[Metric]) -> dict[str, dict[str, Any]]:
    """Per output name: its metric's signature, direction and range (recorded with results)."""
    info = {}
    for metric in metrics:
        signature = metric.signature()
        for out in metric.outputs:
            low, high = out.value_range
            info[out.name] = {
                "signature": signature,
                "higher_is_better": out.higher_is_better,
                "range": [_finite_or_none(low), _finite_or_none(high)],
            }
    return info


def _finite_or_none(value: float) -> float | None:
    return value if abs(value) != float("inf") else None


def apply_metrics(
    metrics: Sequence[Metric], fields: dict[str, list[Any]], n: int
) -> list[ItemResult]:
    results = [ItemResult() for _ in range(n)]
    for metric in metrics:
        try:
            scored = metric.score(fields)
        except Exception as exc:  # one broken metric must not lose the other scores
            for result in results:
                result.errors[metric.name] = f"{metric.name}: {type(exc).__name__}: {exc}"
            continue
        for result, item in zip(results, scored, strict=True):
            if item.error is not None:
                result.errors[metric.name] = item.error
            result.scores.update(item.values)
    return results
