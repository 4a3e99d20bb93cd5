"""Set-level metrics (FID, KID) on the leaderboard: computed from the features items stored.

Each scored item's record holds its features (``set_features``) and the run holds, once per task
and metric signature, the reference pool's features (a ``set_reference`` record). A row's value
is the metric over all its ok items against that reference; its interval is a percentile
bootstrap over *targets* (every seed of a drawn target comes along), seeded like the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from invbench.leaderboard.rows import ItemKey
from invbench.store.features import decode_features
from invbench.store.records import Record, SetMetricRef, SetReference, StoredRecord

ReferenceKey = tuple[str, int, str, str]  # task, task_version, metric, signature


def collect_references(records: Iterable[StoredRecord]) -> dict[ReferenceKey, np.ndarray]:
    """Reference-pool features by (task, version, metric, signature); later records win."""
    found: dict[ReferenceKey, np.ndarray] = {}
    for record in records:
        if isinstance(record, SetReference) and record.status == "ok":
            key = (record.task, record.task_version, record.metric, record.signature)
            found[key] = record.pool_features()
    return found


def _metric(spec: SetMetricRef):
    from invbench.plugins.catalog import METRICS  # the metric's own compute(): one definition only

    return METRICS.get(spec.id)(**spec.options)


def _featured(items: Iterable[tuple[ItemKey, Record]], name: str) -> dict[ItemKey, np.ndarray]:
    """The stored features of metric ``name`` of every ok item that has them, in item order."""
    return {key: decode_features(record.set_features[name]) for key, record in items
            if record.status == "ok" and name in record.set_features}


def cluster_resample_index(keys: Sequence[ItemKey], resamples: int, seed: int) -> np.ndarray:
    """``(resamples, len(keys))`` item indices of a bootstrap over *targets*.

    Each row draws targets with replacement and takes every item (seed) of each drawn target,
    so the seeds of one target move together. With an uneven number of seeds per target the
    rows would differ in length, and items are resampled directly instead. ``keys`` must be
    sorted; the draws depend only on ``(keys, resamples, seed)``.
    """
    targets = sorted({target for target, _ in keys})
    members = [[k for k, (t, _) in enumerate(keys) if t == target] for target in targets]
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(targets), size=(resamples, len(targets)))
    if len({len(m) for m in members}) == 1:  # same number of seeds per target
        return np.array([[k for t in row for k in members[t]] for row in drawn])
    return rng.integers(0, len(keys), size=(resamples, len(keys)))


def set_metric_values(
    items: list[tuple[ItemKey, Record]],
    spec: SetMetricRef,
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
    featured = _featured(items, spec.id)
    metric = _metric(spec)
    outputs = [out.name for out in metric.outputs]
    nan = (float("nan"), float("nan"), float("nan"), len(featured))
    if reference is None or len(featured) < 2:
        return dict.fromkeys(outputs, nan)
    features = np.stack(list(featured.values()))
    values = metric.compute(features, reference)
    index = cluster_resample_index(list(featured), resamples, seed)
    draws = metric.bootstrap(features, reference, index)
    alpha = (1.0 - level) / 2.0
    out = {}
    for output in outputs:
        low, high = np.nanquantile(draws[output], [alpha, 1.0 - alpha])
        out[output] = (float(values[output]), float(low), float(high), len(featured))
    return out


def paired_set_difference(
    base_items: Mapping[ItemKey, Record],
    cand_items: Mapping[ItemKey, Record],
    spec: SetMetricRef,
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
    left = _featured(base_items.items(), spec.id)
    right = _featured(cand_items.items(), spec.id)
    shared = sorted(set(left) & set(right))
    if len(shared) < 2:
        return None
    metric = _metric(spec)
    base_f = np.stack([left[k] for k in shared])
    cand_f = np.stack([right[k] for k in shared])
    index = cluster_resample_index(shared, resamples, seed)
    base_value = metric.compute(base_f, reference)[output]
    cand_value = metric.compute(cand_f, reference)[output]
    diffs = (
        metric.bootstrap(cand_f, reference, index)[output]
        - metric.bootstrap(base_f, reference, index)[output]
    )
    alpha = (1.0 - level) / 2.0
    low, high = np.nanquantile(diffs, [alpha, 1.0 - alpha])
    n_targets = len({target for target, _ in shared})
    return (float(base_value), float(cand_value), float(cand_value - base_value), float(low),
            float(high), n_targets, len(shared))  # fmt: skip
