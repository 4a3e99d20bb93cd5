"""Percentile bootstrap confidence intervals over items (targets), and the label of every method.

Leaderboard rows are means over a few dozen to a few hundred targets, so a point estimate alone
invites reading noise as progress. A percentile bootstrap needs no distributional assumption
(WER and exact match are far from normal) and is what sacrebleu and lm-evaluation-harness users
expect. Everything is seeded: the resample index matrix depends only on ``(n, resamples, seed)``,
so the same values always give the same interval, and two metrics (or two runs, for the paired
test) measured on the same targets are resampled with the very same indices.
"""

from __future__ import annotations

import numpy as np

# Resample matrices above this many cells are drawn in row chunks so memory stays bounded; the
# chunking depends only on n, so results stay a pure function of (values, resamples, seed).
_MAX_CELLS = 1 << 22


# How set-level metrics (FID, KID) get theirs: half the targets without replacement, centred
# (invbench.leaderboard.set_scores); named in the label so that a change of method is visible.
SET_METHOD = "sets:subsample-n/2-centred"
# How rows whose per-target values are all 0 or 1 get theirs: a score interval, not a bootstrap
# (invbench.leaderboard.binary).
BINARY_METHOD = "binary:modified-wilson"


def bootstrap_label(*, resamples: int = 1000, seed: int = 0, level: float = 0.95) -> str:
    """The settings string recorded next to every interval, e.g. ``percentile,B=1000,...``.

    Per-item metrics: percentile bootstrap over targets; set metrics: :data:`SET_METHOD`; rows
    whose per-target values are all 0 or 1: :data:`BINARY_METHOD`.
    """
    return f"percentile,B={resamples},seed={seed},level={level:g};{SET_METHOD};{BINARY_METHOD}"


def _check_settings(resamples: int, level: float) -> None:
    if int(resamples) != resamples or resamples < 1:
        raise ValueError(f"resamples must be a positive integer, got {resamples!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")


def _as_values(values: np.ndarray, what: str) -> np.ndarray:
    """A 1-D float64 copy; non-finite values are refused rather than silently dropped."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} contains NaN or infinite values; filter items first")
    return array


def resample_means(values: np.ndarray, *, resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """Means of ``resamples`` bootstrap resamples of ``values`` (drawn with replacement).

    The index matrix is drawn from ``numpy.random.default_rng(seed)`` and depends only on
    ``len(values)``, so equal-length inputs share their resamples (the basis of pairing).
    """
    n = len(values)
    rng = np.random.default_rng(seed)
    rows = max(1, _MAX_CELLS // max(n, 1))
    means = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, rows):
        stop = min(resamples, start + rows)
        index = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = values[index].mean(axis=1)
    return means


def _interval(
    values: np.ndarray, resamples: int, seed: int, level: float
) -> tuple[float, float, float]:
    n = len(values)
    if n == 0:
        return (float("nan"), float("nan"), float("nan"))
    mean = float(values.mean())
    if n == 1:
        return (mean, mean, mean)  # nothing to resample: an honest zero-width interval
    means = resample_means(values, resamples=resamples, seed=seed)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    # The resampled means average to the mean and a percentile interval at any usual level holds
    # it in practice; the min/max makes that a guarantee (round-off of constant values included).
    return (mean, min(float(low), mean), max(float(high), mean))


def bootstrap_ci(
    values: np.ndarray, *, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean and its percentile-bootstrap interval at ``level``.

    N = 1 gives ``low == high == mean``; N = 0 gives three NaNs (no data is not a zero score).
    """
    _check_settings(resamples, level)
    return _interval(_as_values(values, "values"), int(resamples), seed, level)


def paired_bootstrap(
    base: np.ndarray,
    cand: np.ndarray,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """``(mean difference, low, high)`` of ``cand - base`` over paired items.

    Both arrays are resampled with the same indices (equivalently: the per-item differences are
    bootstrapped), so the shared per-target difficulty cancels and the interval is far tighter
    than comparing two independent intervals.
    """
    _check_settings(resamples, level)
    base_values = _as_values(base, "base")
    cand_values = _as_values(cand, "cand")
    if base_values.shape != cand_values.shape:
        raise ValueError(
            f"paired arrays differ in length: base {len(base_values)}, cand {len(cand_values)}"
        )
    return _interval(cand_values - base_values, int(resamples), seed, level)
