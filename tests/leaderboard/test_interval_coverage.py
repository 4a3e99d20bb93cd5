"""Every interval method near its nominal 95% on synthetic data whose truth is known.

The cases and truths are those of benchmarks/interval_coverage.py (which prints the full table
quoted in the metric cards); here fewer replicates, so each check takes about a second. With R
replicates and a true coverage of 0.95, the observed rate has sd sqrt(0.95 * 0.05 / R): 0.015 at
R = 200, 0.011 at R = 400. The accepted band [0.85, 0.99] is more than 6 sd below and, at R = 200,
above 0.99 only if at most 2 of 200 miss (probability < 0.003 at 0.95), so a pass is not luck and
an interval off by the old bootstrap's bias (FID coverage near 0) cannot pass. The binary rows'
interval is checked exactly instead (a sum over the binomial law of the count: no sampling
error), against a band of [0.92, 0.99] that its minimum over all p (0.930 at n = 48) clears; the
Monte Carlo rate must then agree with the exact one within 4 of its sd.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from invbench.leaderboard.binary import mean_interval, wilson_interval
from invbench.leaderboard.bootstrap import bootstrap_ci
from invbench.leaderboard.set_scores import (
    cluster_subsample_index,
    subsample_interval,
    values_and_intervals,
)
from invbench.metrics.image_distribution import ImageDistribution

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "interval_coverage.py"
_SPEC = importlib.util.spec_from_file_location("interval_coverage", _PATH)
coverage = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(coverage)

NOMINAL_BAND = (0.85, 0.99)


def test_closed_form_truths_match_large_samples() -> None:
    rng = np.random.default_rng(7)
    x = coverage.MU1 + np.sqrt(coverage.VAR1) * rng.standard_normal((200_000, coverage.DIM))
    y = rng.standard_normal((200_000, coverage.DIM))
    k = lambda a, b: ((a * b).sum(1) / coverage.DIM + 1.0) ** 3  # noqa: E731 - paired rows
    sampled = k(x[::2], x[1::2]).mean() + k(y[::2], y[1::2]).mean() - 2 * k(x, y).mean()
    assert sampled == pytest.approx(coverage.population_kid(), abs=0.03)
    assert coverage.population_fid() == pytest.approx(0.38629, abs=1e-4)


def test_fid_and_kid_half_sample_intervals_cover_at_about_their_level() -> None:
    got = coverage.set_metric_coverage(replicates=200, resamples=300, population=False)
    assert NOMINAL_BAND[0] <= got["fid"] <= NOMINAL_BAND[1], got
    assert NOMINAL_BAND[0] <= got["kid"] <= NOMINAL_BAND[1], got


def test_per_item_percentile_bootstrap_covers_at_about_its_level() -> None:
    got = coverage.mean_coverage("lognormal_s1", replicates=400, resamples=500)
    assert NOMINAL_BAND[0] <= got <= NOMINAL_BAND[1], got


@pytest.mark.parametrize(
    "case", ["bernoulli_p0.5", "bernoulli_p0.9", "bernoulli_p0.98", "bernoulli_p0.999"]
)
def test_binary_rows_interval_covers_at_about_its_level(case: str) -> None:
    # the leaderboard's own choice (mean_interval) on 0/1 draws: exactly, and by Monte Carlo,
    # which must agree with the exact value within 4 binomial sd (0.047 at 0.94, R = 400)
    exact = coverage.exact_binary_coverage(coverage.MEAN_CASES[case][1],
                                           coverage.binary_intervals(48))[0]  # fmt: skip
    assert 0.92 <= exact <= 0.99, (case, exact)
    got = coverage.mean_coverage(case, replicates=400, resamples=500)
    assert abs(got - exact) <= 4 * np.sqrt(exact * (1 - exact) / 400), (case, got, exact)


def test_binary_interval_has_no_deep_dip_where_the_bootstrap_collapses() -> None:
    # exact coverage over a grid of true rates: the modified Wilson interval never falls far
    # below 95% (Wilson alone: 0.85 near p = 0.9965), the percentile bootstrap does near 0 and 1
    grid = np.linspace(0.0005, 0.9995, 500)
    exact = coverage.exact_binary_coverage(grid, coverage.binary_intervals(48))
    assert exact.min() >= 0.92 and abs(exact.mean() - 0.95) < 0.01, (exact.min(), exact.mean())
    old = coverage.exact_binary_coverage(grid, coverage.binary_intervals(48, method=bootstrap_ci))
    assert old.min() < 0.1  # at p = 0.9995 almost every row is 48/48 and gets [1, 1]


def test_binary_rows_get_the_score_interval_and_others_the_bootstrap() -> None:
    ones = np.ones(48)
    mean, low, high = mean_interval(ones)
    assert mean == high == 1.0 and 0.9 < low < 1.0  # never [1, 1]
    assert mean_interval(np.zeros(3))[:2] == (0.0, 0.0) and mean_interval(np.zeros(3))[2] > 0.5
    skewed = np.r_[np.zeros(40), np.full(8, 0.5)]  # seeds averaged to 0.5: not binary
    assert mean_interval(skewed) == bootstrap_ci(skewed)
    low, high = wilson_interval(np.arange(49), 48)
    assert np.all(low <= np.arange(49) / 48) and np.all(np.arange(49) / 48 <= high)
    assert np.all(high - low > 0) and np.all(np.diff(low) > 0) and np.all(np.diff(high) > 0)
    # 1 to 3 successes: the lower bound is the one-sided Poisson bound when that is lower
    assert low[1] == pytest.approx(-np.log(0.95) / 48) and high[47] == pytest.approx(1 - low[1])


def test_fid_interval_contains_its_estimate_where_resampling_with_replacement_did_not() -> None:
    rng = np.random.default_rng(3)
    pool = rng.standard_normal((200, 16))
    x = rng.standard_normal((48, 16)) + 0.3
    keys = [(f"t{i:02d}", 0) for i in range(48)]
    got = values_and_intervals(ImageDistribution(kid_subsets=5), x, pool, keys, resamples=200,
                               seed=0, level=0.95)  # fmt: skip
    for name, (value, low, high) in got.items():
        assert low <= value <= high, (name, value, low, high)
    # the old scheme's draws (with replacement) all lie above the estimate: it excluded it
    old = rng.integers(0, 48, size=(200, 48))
    draws = ImageDistribution().bootstrap(x, pool, old)["fid"]
    assert np.quantile(draws, 0.025) > got["fid"][0]


def test_subsample_interval_always_contains_the_value() -> None:
    skewed = np.r_[np.zeros(990), np.full(10, 1e6)]  # quantiles of the centred draws both < 0
    low, high = subsample_interval(5.0, skewed, 48, 0.95)
    assert low <= 5.0 <= high
    assert np.isnan(subsample_interval(1.0, np.array([1.0, 2.0]), 1, 0.95)).all()  # nothing
    assert np.isnan(subsample_interval(1.0, np.full(5, np.nan), 48, 0.95)).all()


def test_subsamples_keep_seeds_together_and_never_repeat() -> None:
    keys = sorted((f"t{i}", s) for i in range(7) for s in range(3))
    rows = cluster_subsample_index(keys, 50, seed=1)
    assert rows.shape == (50, 9)  # 7 // 2 = 3 targets, 3 seeds each
    for row in rows:
        assert len(set(row.tolist())) == 9
        assert sorted({keys[k][0] for k in row}) == sorted({keys[k][0] for k in row[::3]})
        assert all(len([k for k in row if keys[k][0] == t]) == 3 for t in {keys[k][0] for k in row})
    assert np.array_equal(rows, cluster_subsample_index(keys, 50, seed=1))  # seeded
    uneven = cluster_subsample_index(keys[:-1], 20, seed=1)
    assert isinstance(uneven, list) and {len(r) for r in uneven} <= {8, 9}


@pytest.mark.parametrize(
    "values",
    [np.array([0.0, 1.0]), np.array([0.1] * 48), np.r_[np.zeros(47), 1e6],
     np.r_[np.full(47, 1e6), -1e9], np.array([3.0, 3.0 + 1e-12])],  # fmt: skip
)
def test_percentile_bootstrap_always_contains_the_mean(values: np.ndarray) -> None:
    mean, low, high = bootstrap_ci(values, resamples=1000, seed=0)
    assert low <= mean <= high
