"""Means and bootstrap intervals that neither overflow nor hide an infinity.

Two ways a plain ``np.mean`` misleads a leaderboard: finite values near 1e308 overflow the sum
to ``inf`` (a wrong number that looks like a PSNR of identical images), and a genuine ``+inf``
(PSNR of an image identical to its reference) cannot enter :func:`bootstrap_ci` at all. Here:

* finite values whose magnitude could overflow a sum are scaled by a power of two first (exact
  in binary floating point) and scaled back, so the mean of values near 1e308 is right;
* an infinite value is a value: a mean over items that include ``+inf`` is ``+inf``, and the
  interval is the percentile bootstrap over the extended reals (a resample that draws an
  infinite item has an infinite mean), so it reads ``[x, inf]`` where ``x`` is what the
  resamples without that item give. ``+inf`` and ``-inf`` together have no mean: NaN.

Values that need neither treatment take the ordinary path unchanged, to the last bit.
"""

from __future__ import annotations

import math

import numpy as np

from invbench.leaderboard.bootstrap import bootstrap_ci, paired_bootstrap, resample_means

# Beyond this magnitude a sum of up to ~1e8 values could overflow float64 (max ~1.8e308).
_SAFE_MAGNITUDE = 1e300


def _scale_of(values: np.ndarray) -> float:
    """A power of two that brings ``values`` to magnitude < 2 (1.0 when no scaling is needed)."""
    finite = values[np.isfinite(values)]
    largest = float(np.max(np.abs(finite))) if finite.size else 0.0
    if largest <= _SAFE_MAGNITUDE:
        return 1.0
    # 2**(e-1) rather than 2**e: 2**1024 itself is not a float64
    return math.ldexp(1.0, math.frexp(largest)[1] - 1)


def safe_mean(values: np.ndarray | list[float]) -> float:
    """The mean of float64 ``values`` without overflow; ``+inf`` in gives ``+inf`` out."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return float("nan")
    if np.isinf(array).any():
        signs = set(np.sign(array[np.isinf(array)]).tolist())
        return float("nan") if len(signs) > 1 else float(array[np.isinf(array)][0])
    scale = _scale_of(array)
    if scale == 1.0:
        return float(np.mean(array))
    return float(np.mean(array / scale)) * scale


def _extended_quantile(ordered: np.ndarray, q: float) -> float:
    """numpy's default (linear) quantile of sorted values that may include infinities."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    frac = position - low
    a, b = float(ordered[low]), float(ordered[min(low + 1, len(ordered) - 1)])
    if frac == 0.0 or a == b or math.isinf(a):
        return a  # between -inf and anything below +inf the line stays at -inf
    if math.isinf(b):
        return b
    return a + (b - a) * frac


def _infinite_ci(values: np.ndarray, resamples: int, seed: int, level: float):
    """Percentile bootstrap over the extended reals, with the same resample indices."""
    infinite = np.isinf(values)
    sign = float(np.sign(values[infinite][0]))
    if len(values) == 1:
        return (float(values[0]),) * 3
    drawn = resample_means(infinite.astype(np.float64), resamples=resamples, seed=seed)
    finite = np.where(infinite, 0.0, values)
    scale = _scale_of(finite)
    means = resample_means(finite / scale, resamples=resamples, seed=seed) * scale
    means = np.sort(np.where(drawn > 0, sign * np.inf, means))
    alpha = (1.0 - level) / 2.0
    return (sign * math.inf, _extended_quantile(means, alpha),
            _extended_quantile(means, 1.0 - alpha))  # fmt: skip


def extended_ci(
    values: np.ndarray, *, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """:func:`bootstrap_ci` for values that may be huge or infinite (NaN must be removed first)."""
    array = np.asarray(values, dtype=np.float64)
    infinite = np.isinf(array)
    if infinite.any():
        if len(set(np.sign(array[infinite]).tolist())) > 1:
            return (float("nan"),) * 3  # +inf and -inf: the mean is undefined
        return _infinite_ci(array, resamples, seed, level)
    scale = _scale_of(array)
    mean, low, high = bootstrap_ci(array / scale, resamples=resamples, seed=seed, level=level)
    return (mean * scale, low * scale, high * scale)


def scaled_paired_bootstrap(
    base: np.ndarray, cand: np.ndarray, *, resamples: int, seed: int, level: float
) -> tuple[float, float, float]:
    """:func:`paired_bootstrap` of finite values, scaled first so the difference cannot overflow
    (a difference beyond float64's range comes back as ``±inf``, which it truly is)."""
    scale = _scale_of(np.concatenate([np.asarray(base, float), np.asarray(cand, float)]))
    diff, low, high = paired_bootstrap(np.asarray(base) / scale, np.asarray(cand) / scale,
                                       resamples=resamples, seed=seed, level=level)  # fmt: skip
    with np.errstate(over="ignore"):
        return (float(np.float64(diff) * scale), float(np.float64(low) * scale),
                float(np.float64(high) * scale))  # fmt: skip
