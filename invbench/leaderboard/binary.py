"""The interval of a mean over targets: a score interval when a rate's every value is 0 or 1.

Most alignment scores are binary per item (exact match, success, token validity). For them
the percentile bootstrap fails where it matters most: a row at 48/48 resamples to ``[1, 1]``,
and at p = 0.98 its measured coverage of a nominal 95% is 0.63 (benchmarks/interval_coverage.py).
A row of an output whose range is [0, 1] (a rate; a distance that happens to be 0 everywhere is
not one) and whose per-target values (seeds averaged first) are all exactly 0 or 1 therefore
gets the Wilson score interval: the set of p that a score test at the row's level does not reject.
It always contains the observed rate and has width > 0 at 0 and 1.

Wilson alone still dips near the ends: at n = 48 its coverage is 0.85 at p ≈ 0.9965, where
47/48 gives an upper bound just below p. So, after the modification Brown, Cai and DasGupta
(Statistical Science 16, 2001) propose, a row with 1 to 3 successes (failures), fewer than its
failures (successes), has its lower (upper) bound widened to the one-sided Poisson bound: the
mean count at which seeing at least that many has probability ``1 - level``, over n. Closed form
and bisection only, no random numbers: the same values always give the same interval.

Other rows keep the percentile bootstrap (:func:`invbench.leaderboard.extended.extended_ci`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from invbench.leaderboard.extended import extended_ci

_POISSON_TAIL = 3  # counts of successes (or failures) whose bound is widened: BCD's x* at n ~ 50


def is_binary(values: np.ndarray) -> bool:
    """True when there is at least one value and every value is exactly 0 or 1."""
    array = np.asarray(values, dtype=np.float64)
    return array.size > 0 and bool(np.all((array == 0.0) | (array == 1.0)))


@lru_cache(maxsize=64)  # a handful of (count, alpha) pairs per board
def poisson_lower(count: int, alpha: float) -> float:
    """The mean ``mu`` at which ``P(Poisson(mu) >= count) = alpha`` (0 for a count of 0)."""
    if count <= 0:
        return 0.0

    def below(mu: float) -> float:  # P(Poisson(mu) <= count - 1), decreasing in mu
        term, total = math.exp(-mu), 0.0
        for k in range(count):
            total += term
            term *= mu / (k + 1)
        return total

    low, high = 0.0, float(count) + 10.0 * math.sqrt(count) + 10.0
    for _ in range(200):  # bisection to float precision; deterministic
        middle = 0.5 * (low + high)
        if below(middle) > 1.0 - alpha:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def wilson_interval(
    successes: np.ndarray | int, n: int, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` of the modified Wilson interval for ``successes`` out of ``n`` (vectorised).

    Both bounds are clipped to [0, 1] and contain ``successes / n`` exactly.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    k = np.asarray(successes, dtype=np.float64)
    p = k / n
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    shrink = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / shrink
    half = z / shrink * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    low, high = centre - half, centre + half
    # the Poisson bound is for a rare count: only the minority side of a row (so 3 of 3 is
    # "no failures", not "3 successes") has its bound widened
    for count in range(1, _POISSON_TAIL + 1):
        if 2 * count >= n:
            break
        bound = poisson_lower(count, 1.0 - level) / n
        low = np.where(k == count, np.minimum(low, bound), low)
        high = np.where(k == n - count, np.maximum(high, 1.0 - bound), high)
    # round-off can put a bound a hair past p at k = 0 or n; the interval must hold p itself
    return np.clip(np.minimum(low, p), 0.0, 1.0), np.clip(np.maximum(high, p), 0.0, 1.0)


def mean_interval(
    values: np.ndarray, *, resamples: int = 1000, seed: int = 0, level: float = 0.95,
    proportion: bool = True,
) -> tuple[float, float, float]:  # fmt: skip
    """``(mean, low, high)`` of per-target values as the leaderboard shows them.

    Values of a ``proportion`` (an output whose range is [0, 1]) that are all 0 or 1: the
    modified Wilson interval; anything else, including huge or infinite values: the percentile
    bootstrap of :func:`extended_ci`.
    """
    array = np.asarray(values, dtype=np.float64)
    if not (proportion and is_binary(array)):
        return extended_ci(array, resamples=resamples, seed=seed, level=level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
    successes = int(array.sum())
    low, high = wilson_interval(successes, len(array), level)
    return (float(array.mean()), float(low), float(high))  # the mean exactly as elsewhere
