"""Apply a task's metrics to a batch of scoring fields, keeping failures per item."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from invbench.contracts.metric import Metric, value_problem
from invbench.contracts.set_metric import SetMetric
from invbench.contracts.task_spec import MetricRef


@dataclass
class ItemResult:
    scores: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    features: dict[str, np.ndarray] = field(default_factory=dict)  # set-level metrics' inputs


def output_info(
    metrics: Sequence[Metric], refs: Sequence[MetricRef] | None = None
) -> dict[str, dict[str, Any]]:
    """Per output name: its metric's signature, direction and range (recorded with results).

    Outputs of set-level metrics also name their metric (``set_metric``): the leaderboard
    computes them from the items' stored features (with the metric built from the same ``id`` and
``options``), not from per-item scores.
    """
    info = {}
    refs = list(refs) if refs is not None else [MetricRef(id=m.name) for m in metrics]
    for metric, ref in zip(metrics, refs, strict=True):
        signature = metric.signature()
        for out in metric.outputs:
            low, high = out.value_range
            info[out.name] = {
                "signature": signature,
                "higher_is_better": out.higher_is_better,
                "range": [_finite_or_none(low), _finite_or_none(high)],
            }
            if isinstance(metric, SetMetric):
                info[out.name]["set_metric"] = {"id": ref.id, "options": dict(ref.options)}
    return info


def _finite_or_none(value: float) -> float | None:
    return value if abs(value) != float("inf") else None


def apply_metrics(
    metrics: Sequence[Metric], fields: dict[str, list[Any]], n: int
) -> list[ItemResult]:
    results = [ItemResult() for _ in range(n)]
    for metric in metrics:
        try:
            scored = metric.features(fields) if isinstance(metric, SetMetric) else None
            if scored is None:
                scored = metric.score(fields)
        except Exception as exc:  # one broken metric must not lose the other scores
            for result in results:
                result.errors[metric.name] = f"{metric.name}: {type(exc).__name__}: {exc}"
            continue
        for result, item in zip(results, scored, strict=True):
            problem = None if item.error or isinstance(metric, SetMetric) else value_problem(
                metric.outputs, item.values)  # a plug-in's own score() is held to it too
            if item.error is not None or problem:
                result.errors[metric.name] = item.error or f"{metric.name}: {problem}"
            elif isinstance(metric, SetMetric):
                result.features[metric.name] = item.features
            else:
                result.scores.update(item.values)
    return results
