"""Dynamic time warping between two feature sequences (the core of ``mel_dtw_distance``).

The local cost is the Euclidean distance between frames; steps (1, 0), (0, 1) and (1, 1) have
equal weights and both ends are anchored. The accumulated cost is filled over anti-diagonals
(each one depends only on the two before it), with librosa's order of preference among steps,
so costs, paths and ties agree with ``librosa.sequence.dtw`` (tested).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy.spatial.distance import cdist


class DTWAlignment(NamedTuple):
    """The optimal anchored path's accumulated cost and its number of cells."""

    cost: float
    path_length: int


def _sequence(x: Any, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must be a (frames, features) array with frames >= 1, "
                         f"got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def dtw(a: np.ndarray, b: np.ndarray) -> DTWAlignment:
    """Anchored DTW of ``a`` (N × d) and ``b`` (M × d): Euclidean local cost, steps (1, 1),
    (0, 1), (1, 0) with equal weights. Returns the optimal path's accumulated cost
    ``D[N-1, M-1]`` and its length in cells (ties broken as ``librosa.sequence.dtw``).

    The recursion runs over anti-diagonals (cells with equal ``i + j``), each one vectorised."""
    a, b = _sequence(a, "a"), _sequence(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b have {a.shape[1]} and {b.shape[1]} features per frame")
    n, m = a.shape[0], b.shape[0]
    cost = cdist(a, b, metric="euclidean")
    # Diagonal k holds the cells (i, k - i); buffers are indexed by i + 1, index 0 (i = -1) and
    # every cell off the diagonal stay inf, so out-of-matrix predecessors never win.
    prev2 = np.full(n + 1, np.inf)
    prev1 = np.full(n + 1, np.inf)
    len2 = np.zeros(n + 1, dtype=np.int64)
    len1 = np.zeros(n + 1, dtype=np.int64)
    prev1[1] = cost[0, 0]
    len1[1] = 1
    for k in range(1, n + m - 1):
        lo, hi = max(0, k - m + 1), min(k, n - 1)
        rows = np.arange(lo, hi + 1)
        local = cost[rows, k - rows]
        # librosa's order with strict "<": diagonal, then (0, 1) from (i, j-1), then (1, 0)
        # from (i-1, j); accumulated cost and path length follow the same choice.
        best = prev2[lo : hi + 1] + local
        steps = len2[lo : hi + 1].copy()
        for candidate_d, candidate_l in ((prev1[lo + 1 : hi + 2], len1[lo + 1 : hi + 2]),
                                         (prev1[lo : hi + 1], len1[lo : hi + 1])):
            candidate = candidate_d + local
            better = candidate < best
            best = np.where(better, candidate, best)
            steps = np.where(better, candidate_l, steps)
        current = np.full(n + 1, np.inf)
        current[lo + 1 : hi + 2] = best
        current_len = np.zeros(n + 1, dtype=np.int64)
        current_len[lo + 1 : hi + 2] = steps + 1
        prev2, prev1, len2, len1 = prev1, current, len1, current_len
    return DTWAlignment(float(prev1[n]), int(len1[n]))


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Accumulated cost of the optimal DTW path between ``a`` and ``b`` divided by its length."""
    alignment = dtw(a, b)
    return alignment.cost / alignment.path_length


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------
