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

from invbench.store.run_store import REFERENCE_KIND, decode_features

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
    from invbench.plugins.catalog import METRICS  # the metric's own compute(): one definition only

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
        low, high = np.nanquantile(draws[output], [alpha, 1.0 - alpha])
        out[output] = (float(values[output]), float(low), float(high), len(rows))
    return out


def paired_set_difference(
    base_items: Mapping[tuple[str, int], Mapping[str, Any]],
    cand_items: Mapping[tuple[str, int], Mapping[str, Any]],
    spec: Mapping[str, Any],
    output: str,
    reference: np.ndarray,
    *,
    resamples: int,
    seed: int,
    level: float,
) -> tuple[float, float, float, float, float, int, int] | None:
    """Paired bootstrap of ``cand - base`` for a set metric on the items ok in both runs.

    Both sides are recomputed on the very same resampled targets, so the difference's interval
    reflects the change, not the target draw. Returns ``(base, cand, diff, low, high, n_targets,
    n_items)`` or None when fewer than two items are shared.
    """
    name = spec["id"]

    def featured(items: Mapping[tuple[str, int], Mapping[str, Any]]) -> dict:
        return {
            k: decode_features(r["set_features"][name])
            for k, r in items.items()
            if r.get("status") == "ok" and name in (r.get("set_features") or {})
        }

    left, right = featured(base_items), featured(cand_items)
    shared = sorted(set(left) & set(right))
    if len(shared) < 2:
        return None
    metric = _metric(spec)
    base_f = np.stack([left[k] for k in shared])
    cand_f = np.stack([right[k] for k in shared])
    targets = sorted({t for t, _ in shared})
    members = [[i for i, (t, _) in enumerate(shared) if t == target] for target in targets]
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(targets), size=(resamples, len(targets)))
    if len({len(m) for m in members}) == 1:
        index = np.array([[i for t in row for i in members[t]] for row in drawn])
    else:
        index = rng.integers(0, len(shared), size=(resamples, len(shared)))
    base_value = metric.compute(base_f, reference)[output]
    cand_value = metric.compute(cand_f, reference)[output]
    diffs = (
        metric.bootstrap(cand_f, reference, index)[output]
        - metric.bootstrap(base_f, reference, index)[output]
    )
    alpha = (1.0 - level) / 2.0
    low, high = np.nanquantile(diffs, [alpha, 1.0 - alpha])
    return (float(base_value), float(cand_value), float(cand_value - base_value), float(low),
            float(high), len(targets), len(shared))  # fmt: skip
