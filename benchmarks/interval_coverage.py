"""How often do the leaderboard's intervals cover the truth? Coverage on synthetic data.

Each case draws ``replicates`` data sets whose true value is known, computes the interval exactly
as the leaderboard does, and counts how often it contains the truth (nominal: 0.95).

- **FID / KID** (:func:`invbench.leaderboard.set_scores.values_and_intervals`, half-sampling of
  targets): 48 "recovered" feature vectors from N(mu1, diag s1) in d = 4 against a reference pool
  of 200 from N(0, I) (the sizes of captioner/mini: 48 targets, a 200-image pool). The pool is
  drawn once and kept, as a benchmark's pool is: the interval is one for the metric's expected
  value *at this N against this pool*, ``E[FID_48 | pool]`` (by Monte Carlo over 4000 sets) and
  ``E[KID | pool]`` (closed form: Gaussian moments of the cubic kernel). Plug-in FID is biased
  in N, so also shown: coverage of the population FID (closed form for diagonal covariances) and
  of the population MMD² with the pool redrawn per replicate — what the interval is *not* for.
- **Per-item means** (:func:`invbench.leaderboard.binary.mean_interval`, what the leaderboard
  uses): n = 48 values, truth = the population mean. Bernoulli (exact-match-like) values get the
  modified Wilson score interval, log-normal (skewed) ones the percentile bootstrap; the old
  percentile bootstrap of the Bernoulli cases is shown beside. For binary values the coverage is
  also computed exactly (a sum over the binomial distribution of the count), at every p of a grid.

Run: ``python benchmarks/interval_coverage.py [--replicates 400] [--resamples 1000]``; the
metric cards (metrics/fid_kid.yaml, metrics/exact_match.yaml) quote its output, and
tests/leaderboard/test_interval_coverage.py asserts the ranges on a smaller run.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

import numpy as np

from invbench.leaderboard.binary import mean_interval
from invbench.leaderboard.bootstrap import bootstrap_ci
from invbench.leaderboard.set_scores import values_and_intervals
from invbench.metrics.image_distribution import (
    ImageDistribution,
    _sqrt_psd,
    fid_from_features,
    fid_rows,
    poly_kernel,
)

N_TARGETS, POOL, DIM = 48, 200, 4
MU1 = np.array([0.5, 0.0, 0.0, 0.0])
VAR1 = np.array([1.0, 1.5, 0.5, 1.0])  # the reference: N(0, I)
KEYS = [(f"t{i:02d}", 0) for i in range(N_TARGETS)]  # one seed per target


def population_fid() -> float:
    """FID of N(MU1, diag VAR1) vs N(0, I): |mu|^2 + sum(s1 + s2 - 2 sqrt(s1 s2))."""
    return float((MU1**2).sum() + (VAR1 + 1.0 - 2.0 * np.sqrt(VAR1)).sum())


def _moments(mu: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Second and third raw moments of N(mu, diag var): E[x_i x_j], E[x_i x_j x_k]."""
    cov = np.diag(var)
    second = cov + np.outer(mu, mu)
    third = (np.einsum("i,j,k->ijk", mu, mu, mu) + np.einsum("i,jk->ijk", mu, cov)
             + np.einsum("j,ik->ijk", mu, cov) + np.einsum("k,ij->ijk", mu, cov))  # fmt: skip
    return second, third


def expected_kernel(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """E (x.y/d + 1)^3 for independent x ~ N(*a), y ~ N(*b): 1 + 3E s + 3E s^2 + E s^3."""
    (mu_a, var_a), (mu_b, var_b) = a, b
    s2a, s3a = _moments(mu_a, var_a)
    s2b, s3b = _moments(mu_b, var_b)
    d = len(mu_a)
    es1, es2, es3 = mu_a @ mu_b / d, (s2a * s2b).sum() / d**2, (s3a * s3b).sum() / d**3
    return float(1.0 + 3.0 * es1 + 3.0 * es2 + es3)


def population_kid() -> float:
    """MMD² of the cubic KID kernel between the two Gaussians, in closed form."""
    x, y = (MU1, VAR1), (np.zeros(DIM), np.ones(DIM))
    return expected_kernel(x, x) + expected_kernel(y, y) - 2.0 * expected_kernel(x, y)


def kid_given_pool(pool: np.ndarray) -> float:
    """E[KID | pool]: E k(x, x') + the pool's mean off-diagonal kernel - 2 mean_j E_x k(x, y_j)."""
    x = (MU1, VAR1)
    k_yy = poly_kernel(pool, pool)
    yy = (k_yy.sum() - np.trace(k_yy)) / (len(pool) * (len(pool) - 1))
    # For fixed y, s = x.y/d ~ N(m, v): E (1 + s)^3 = (1 + m)^3 + 3 (1 + m) v.
    m, v = pool @ MU1 / DIM, (pool**2) @ VAR1 / DIM**2
    cross = float(((1.0 + m) ** 3 + 3.0 * (1.0 + m) * v).mean())
    return expected_kernel(x, x) + float(yy) - 2.0 * cross


def _targets(rng: np.random.Generator, count: int) -> np.ndarray:
    return MU1 + np.sqrt(VAR1) * rng.standard_normal((count, N_TARGETS, DIM))


def fid_given_pool(pool: np.ndarray, draws: int = 4000, seed: int = 12345) -> float:
    """E[FID_48 | pool] by Monte Carlo (standard error about sd/63 at 4000 draws)."""
    sets = _targets(np.random.default_rng(seed), draws).reshape(-1, DIM)
    rows = np.arange(len(sets)).reshape(draws, N_TARGETS)  # each row one set: FID_48 of each
    cov = np.cov(pool, rowvar=False)
    values = fid_rows(sets, pool.mean(0), cov, _sqrt_psd(cov), rows)
    assert np.isclose(values[0], fid_from_features(sets[rows[0]], pool))  # the plug-in FID
    return float(values.mean())


def set_metric_coverage(
    replicates: int, resamples: int, seed: int = 0, population: bool = True
) -> dict[str, float]:
    """Coverage of the FID and KID intervals of ``replicates`` target sets (level 0.95)."""
    rng = np.random.default_rng(seed)
    pool = rng.standard_normal((POOL, DIM))
    truth = {"fid": fid_given_pool(pool), "kid": kid_given_pool(pool)}
    truths = {"fid": population_fid(), "kid": population_kid()}
    metric = ImageDistribution(kid_subsets=20)  # compute() needs no judge
    names = ("fid", "kid", "fid_population", "kid_population_new_pool")
    hits = {name: 0 for name in names[: 4 if population else 2]}
    for x in _targets(rng, replicates):
        got = values_and_intervals(metric, x, pool, KEYS, resamples=resamples, seed=0, level=0.95)
        for name in ("fid", "kid"):
            _, low, high = got[name]
            hits[name] += low <= truth[name] <= high
        if not population:
            continue
        hits["fid_population"] += got["fid"][1] <= truths["fid"] <= got["fid"][2]
        fresh = rng.standard_normal((POOL, DIM))  # the pool redrawn: not what the CI is for
        _, low, high = values_and_intervals(metric, x, fresh, KEYS, resamples=resamples, seed=0,
                                            level=0.95)["kid"]  # fmt: skip
        hits["kid_population_new_pool"] += low <= truths["kid"] <= high
    return {name: count / replicates for name, count in hits.items()}


MEAN_CASES: dict[str, tuple[Callable[[np.random.Generator, int], np.ndarray], float]] = {
    "bernoulli_p0.5": (lambda rng, n: (rng.random(n) < 0.5).astype(float), 0.5),
    "bernoulli_p0.9": (lambda rng, n: (rng.random(n) < 0.9).astype(float), 0.9),
    "bernoulli_p0.98": (lambda rng, n: (rng.random(n) < 0.98).astype(float), 0.98),
    "bernoulli_p0.999": (lambda rng, n: (rng.random(n) < 0.999).astype(float), 0.999),
    "lognormal_s1": (lambda rng, n: rng.lognormal(0.0, 1.0, n), float(np.exp(0.5))),
    "lognormal_s2": (lambda rng, n: rng.lognormal(0.0, 2.0, n), float(np.exp(2.0))),
}


def binary_intervals(n: int, level: float = 0.95, method=mean_interval) -> np.ndarray:
    """``(n + 1, 2)``: the interval of every possible 0/1 data set of size n, by its count k.

    A binary row's interval depends only on how many of its values are 1, so k = 0..n is every
    case; ``method`` is the leaderboard's own :func:`mean_interval` unless told otherwise.
    """
    return np.array([method(np.r_[np.ones(k), np.zeros(n - k)], level=level)[1:]
                     for k in range(n + 1)])  # fmt: skip


def exact_binary_coverage(p: np.ndarray | float, intervals: np.ndarray) -> np.ndarray:
    """Exact coverage at true rate(s) ``p``: the binomial probability of the k whose interval
    holds p (no Monte Carlo error)."""
    n = len(intervals) - 1
    rates = np.atleast_1d(np.asarray(p, dtype=np.float64))[:, None]
    k = np.arange(n + 1)
    log_comb = np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1)
                         for j in k])  # fmt: skip
    with np.errstate(divide="ignore"):
        pmf = np.exp(log_comb + k * np.log(rates) + (n - k) * np.log1p(-rates))
    held = (intervals[:, 0] <= rates) & (rates <= intervals[:, 1])
    return (pmf * held).sum(axis=1)


def mean_coverage(case: str, replicates: int, resamples: int, n: int = 48, seed: int = 0,
                  method=mean_interval) -> float:  # fmt: skip
    """Coverage of the interval the leaderboard gives a mean (``method``) for one of
    :data:`MEAN_CASES`: the binary score interval for Bernoulli draws, the percentile bootstrap
    otherwise. Bernoulli cases are vectorised through :func:`binary_intervals` (the same
    intervals, looked up by count)."""
    draw, truth = MEAN_CASES[case]
    rng = np.random.default_rng(seed)
    samples = np.stack([draw(rng, n) for _ in range(replicates)])
    binary = np.all((samples == 0.0) | (samples == 1.0), axis=1)
    hits = 0
    if binary.any():  # only when the leaderboard would take the binary path too
        table = binary_intervals(n, method=method)[samples[binary].sum(axis=1).astype(int)]
        hits += int(((table[:, 0] <= truth) & (truth <= table[:, 1])).sum())
    for values in samples[~binary]:
        _, low, high = method(values, resamples=resamples, seed=0, level=0.95)
        hits += low <= truth <= high
    return hits / replicates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    margin = 1.96 * np.sqrt(0.95 * 0.05 / args.replicates)
    print(f"nominal 0.95; replicates {args.replicates} (binomial 95% margin ±{margin:.3f}), "
          f"B = {args.resamples}")  # fmt: skip
    print(f"population FID {population_fid():.4f}, population KID {population_kid():.5f}")
    print("| interval | truth | coverage |\n|---|---|---|")
    labels = {"fid": "E[FID_48 | pool]", "kid": "E[KID | pool]",
              "fid_population": "population FID (biased estimator)",
              "kid_population_new_pool": "population MMD², pool redrawn"}  # fmt: skip
    for name, value in set_metric_coverage(args.replicates, args.resamples).items():
        print(f"| {name.split('_')[0].upper()} half-sample | {labels[name]} | {value:.3f} |")
    wilson = binary_intervals(N_TARGETS)
    for case in MEAN_CASES:
        value = mean_coverage(case, args.replicates, args.resamples)
        if not case.startswith("bernoulli"):
            print(f"| mean percentile bootstrap, n=48 | {case} | {value:.3f} |")
            continue
        exact = exact_binary_coverage(MEAN_CASES[case][1], wilson)[0]
        old = mean_coverage(case, args.replicates, args.resamples, method=bootstrap_ci)
        print(f"| mean modified Wilson, n=48 | {case} | {value:.3f} (exact {exact:.3f}; "
              f"percentile bootstrap {old:.3f}) |")  # fmt: skip
    grid = np.linspace(0.0005, 0.9995, 1999)
    methods = (("modified Wilson", mean_interval), ("percentile bootstrap", bootstrap_ci))
    for name, method in methods:
        exact = exact_binary_coverage(grid, binary_intervals(N_TARGETS, method=method))
        print(f"| exact, {name}, n=48 | Bernoulli p in [0.0005, 0.9995] | min {exact.min():.3f}"
              f" (p = {grid[exact.argmin()]:.4f}), mean {exact.mean():.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
