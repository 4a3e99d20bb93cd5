"""Set-level metrics (FID, KID) on the leaderboard: computed from the features items stored.

Each scored item's record holds its features (``set_features``) and the run holds, once per task
and metric signature, the reference pool's features (a ``set_reference`` record). A row's value
is the metric over all its ok items against that reference.

Its interval is *not* a bootstrap with replacement: a resample with repeated images has a
smaller spread of features, and FID of such a set is biased upward (the published intervals of
every FID row excluded their own value). Instead each of the ``resamples`` draws takes
``m = n // 2`` of the ``n`` targets *without* replacement (every seed of a drawn target comes
along) and recomputes the metric on them — a delete-d jackknife with d = n - m, or subsampling
in the sense of Politis and Romano. With ``T = θ_m - mean(θ_m)`` over the draws, the spread of
the full-set value is ``sqrt(m / (n - m)) · T`` (the finite-population form: ``Var θ_m - Var θ_n
≈ σ²(1/m - 1/n)``, which equals ``σ²/n`` at m = n/2), and the interval is
``[θ - s·q_hi(T), θ - s·q_lo(T)]``. Centring T on the draws' own mean removes the shift
``E θ_m - E θ_n`` (FID's bias grows as N shrinks), so the interval is one for the expected value
of the metric at this N against this reference pool — what the point estimate estimates. It is
widened, if ever needed, to contain the point estimate. Draws are seeded: a pure function of
``(keys, resamples, seed)``. Measured coverage: ``benchmarks/interval_coverage.py``.
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


def cluster_subsample_index(
    keys: Sequence[ItemKey], resamples: int, seed: int
) -> np.ndarray | list[np.ndarray]:
    """``resamples`` rows of item indices: all items of ``n // 2`` targets, without replacement.

    The seeds of one target move together. An array ``(resamples, K)`` when every target has
    the same number of items, else a list of rows of differing lengths. ``keys`` must be
    sorted; the draws depend only on ``(keys, resamples, seed)``.
    """
    targets = sorted({target for target, _ in keys})
    members = [[k for k, (t, _) in enumerate(keys) if t == target] for target in targets]
    rng = np.random.default_rng(seed)
    # The first m columns of a row-wise argsort of uniform noise: m distinct targets, uniformly.
    order = np.argsort(rng.random((resamples, len(targets))), axis=1)
    chosen = np.sort(order[:, : len(targets) // 2], axis=1)
    if len({len(m) for m in members}) == 1:
        return np.asarray(members, dtype=np.int64)[chosen].reshape(resamples, -1)
    return [np.array([k for t in row for k in members[t]], dtype=np.int64) for row in chosen]


def subsample_draws(
    metric, features: np.ndarray, reference: np.ndarray, rows: np.ndarray | list[np.ndarray]
) -> dict[str, np.ndarray]:
    """The metric on every row (rows of one length batched together); NaN for rows of < 2 items."""
    names = [out.name for out in metric.outputs]
    out = {name: np.full(len(rows), np.nan) for name in names}
    if isinstance(rows, np.ndarray):  # one length: a single call
        got = metric.bootstrap(features, reference, rows) if rows.shape[1] >= 2 else {}
        return {name: np.asarray(got.get(name, out[name]), dtype=np.float64) for name in names}
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    for length in np.unique(lengths[lengths >= 2]):
        where = np.flatnonzero(lengths == length)
        got = metric.bootstrap(features, reference, np.stack([rows[i] for i in where]))
        for name in names:
            out[name][where] = got[name]
    return out


def subsample_interval(
    value: float, draws: np.ndarray, n_targets: int, level: float
) -> tuple[float, float]:
    """``(low, high)`` from half-sample ``draws`` of a statistic whose full-set value is ``value``.

    Always contains ``value``: a centred interval does when its quantiles straddle the centre,
    and it is widened to ``value`` otherwise. NaN when there is nothing to subsample.
    """
    finite = draws[np.isfinite(draws)]
    m = n_targets // 2
    if m < 1 or len(finite) < 2 or not np.isfinite(value):
        return (float("nan"), float("nan"))
    spread = (finite - finite.mean()) * np.sqrt(m / (n_targets - m))
    alpha = (1.0 - level) / 2.0
    q_low, q_high = np.quantile(spread, [alpha, 1.0 - alpha])
    return (min(float(value - q_high), float(value)), max(float(value - q_low), float(value)))


def _n_targets(keys: Iterable[ItemKey]) -> int:
    return len({target for target, _ in keys})


def values_and_intervals(
    metric, features: np.ndarray, reference: np.ndarray, keys: Sequence[ItemKey], *,
    resamples: int, seed: int, level: float,
) -> dict[str, tuple[float, float, float]]:  # fmt: skip
    """``{output: (value, low, high)}`` of a set metric on ``features`` (one row per sorted key)."""
    values = metric.compute(features, reference)
    draws = subsample_draws(metric, features, reference,
                            cluster_subsample_index(keys, resamples, seed))  # fmt: skip
    out = {}
    for output, value in values.items():
        low, high = subsample_interval(float(value), draws[output], _n_targets(keys), level)
        out[output] = (float(value), low, high)
    return out


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
    got = values_and_intervals(metric, features, reference, list(featured),
                               resamples=resamples, seed=seed, level=level)  # fmt: skip
    return {output: (*got[output], len(featured)) for output in outputs}


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
    """Paired interval of ``cand - base`` for a set metric on the items ok in both runs.

    Both sides are recomputed on the very same half-samples of targets (the scheme of
    :func:`set_metric_values`), so the difference's interval reflects the change, not the
    target draw. Returns ``(base, cand, diff, low, high, n_targets,
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
    rows = cluster_subsample_index(shared, resamples, seed)
    base_value = float(metric.compute(base_f, reference)[output])
    cand_value = float(metric.compute(cand_f, reference)[output])
    diffs = (
        subsample_draws(metric, cand_f, reference, rows)[output]
        - subsample_draws(metric, base_f, reference, rows)[output]
    )
    n_targets = _n_targets(shared)
    low, high = subsample_interval(cand_value - base_value, diffs, n_targets, level)
    return (float(base_value), float(cand_value), float(cand_value - base_value), float(low),
            float(high), n_targets, len(shared))  # fmt: skip
