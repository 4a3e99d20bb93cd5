"""Set-level metrics (FID, KID) on the leaderboard: computed from the features items stored.

Each scored item's record holds its features (``set_features``) and the run holds, once per task
and metric signature, the reference pool's features (a ``set_reference`` record). A row's value
is the metric over all its ok items against that reference; its interval is a percentile
bootstrap over *targets* (every seed of a drawn target comes along), seeded like the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from invbench.store import REFERENCE_KIND, decode_features

ReferenceKey = tuple[str, int, str, str]  # task, task_version, metric, signature


def is_reference(record: Mapping[str, Any]) -> bool:
    return record.get("kind") == REFERENCE_KIND


def collect_references(records: Iterable[Mapping[str, Any]]) -> dict[ReferenceKey, np.ndarray]:
    """Reference-pool features by (task, version, metric, signature); later records win."""
    found: dict[ReferenceKey, np.ndarray] = {}
    for record in records:
        if is_reference(record) and record.get("status") == "ok":
            key = (str(record["task"]), int(record["task_version"]), str(record["metric"]),
                   str(record["signature"]))  # fmt: skip
            found[key] = decode_features(record["features"], int(record["dim"]))
    return found


def _metric(spec: Mapping[str, Any]):
    from invbench.catalog import METRICS  # the metric's own compute(): one definition only

    return METRICS.get(spec["id"])(**spec.get("options", {}))


def set_metric_values(
    items: list[tuple[tuple[str, int], dict[str, Any]]],
    spec: Mapping[str, Any],
    signature: str,
    reference: np.ndarray | None,
    *,
    resamples: int,
    seed: int,
    level: float,
) -> dict[str, tuple[float, float, float, int]]:
    """``{output: (value, ci_low, ci_high, n_items)}`` for one row and one set metric.

    ``items`` are the row's ``((target, seed), record)`` pairs sorted by key. Rows without a
    reference or with fewer than two featured items get NaN (no value is not a zero score).
    """
    name = spec["id"]
    rows = [
        (target, decode_features(record["set_features"][name]))
        for (target, _), record in items
        if record.get("status") == "ok" and name in (record.get("set_features") or {})
    ]
    metric = _metric(spec)
    outputs = [out.name for out in metric.outputs]
    nan = (float("nan"), float("nan"), float("nan"), len(rows))
    if reference is None or len(rows) < 2:
        return dict.fromkeys(outputs, nan)
    features = np.stack([f for _, f in rows])
    values = metric.compute(features, reference)
    targets = sorted({t for t, _ in rows})
    members = [[k for k, (t, _) in enumerate(rows) if t == target] for target in targets]
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(targets), size=(resamples, len(targets)))
    sizes = {len(m) for m in members}
    if len(sizes) == 1:  # same number of seeds per target: equal-length item resamples
        index = np.array([[k for t in row for k in members[t]] for row in drawn])
    else:  # uneven seeds: resample items directly
        index = rng.integers(0, len(rows), size=(resamples, len(rows)))
    draws = metric.bootstrap(features, reference, index)
    alpha = (1.0 - level) / 2.0
    out = {}
    for output in outputs:
        low, high = np.quantile(draws[output], [alpha, 1.0 - alpha])
        out[output] = (float(values[output]), float(low), float(high), len(rows))
    return out
