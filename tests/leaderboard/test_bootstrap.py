"""The percentile bootstrap: coverage, determinism, edge cases, pairing."""

from __future__ import annotations

import time

import numpy as np
import pytest

from invbench.leaderboard import bootstrap_ci, bootstrap_label, paired_bootstrap


def test_interval_covers_the_mean_and_shrinks_with_n() -> None:
    rng = np.random.default_rng(1)
    widths = []
    for n in (20, 80, 320):
        values = rng.normal(0.5, 0.2, size=n)
        mean, low, high = bootstrap_ci(values)
        assert mean == pytest.approx(values.mean())
        assert low < mean < high
        widths.append(high - low)
        # The normal-theory width 2 * 1.96 * s / sqrt(N): the bootstrap should agree closely.
        assert high - low == pytest.approx(2 * 1.96 * values.std() / np.sqrt(n), rel=0.2)
    assert widths[0] > widths[1] > widths[2]


def test_nominal_coverage_is_roughly_honest() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for trial in range(200):
        mean, low, high = bootstrap_ci(rng.exponential(1.0, size=60), resamples=500, seed=trial)
        hits += low <= 1.0 <= high
    assert 0.86 <= hits / 200 <= 0.99


def test_deterministic_given_seed() -> None:
    values = np.random.default_rng(3).uniform(size=40)
    assert bootstrap_ci(values, seed=5) == bootstrap_ci(values, seed=5)
    assert bootstrap_ci(values, seed=5) != bootstrap_ci(values, seed=6)
    assert bootstrap_ci(values, level=0.5)[2] - bootstrap_ci(values, level=0.5)[1] < (
        bootstrap_ci(values)[2] - bootstrap_ci(values)[1]
    )


def test_small_and_empty_inputs() -> None:
    assert bootstrap_ci(np.array([0.25])) == (0.25, 0.25, 0.25)
    mean, low, high = bootstrap_ci(np.array([]))
    assert np.isnan(mean) and np.isnan(low) and np.isnan(high)
    assert bootstrap_ci(np.full(7, 0.1))[1:] == (bootstrap_ci(np.full(7, 0.1))[0],) * 2


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_ci(np.array([0.1, np.nan]))
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_ci(np.ones(3), resamples=0)
    with pytest.raises(ValueError, match="level"):
        bootstrap_ci(np.ones(3), level=1.0)
    with pytest.raises(ValueError, match="length"):
        paired_bootstrap(np.ones(3), np.ones(4))


def test_paired_uses_the_same_indices_for_both_sides() -> None:
    rng = np.random.default_rng(11)
    difficulty = rng.uniform(0, 1, size=50)  # shared per-target effect
    base = difficulty + rng.normal(0, 0.02, size=50)
    cand = difficulty + 0.05 + rng.normal(0, 0.02, size=50)
    diff, low, high = paired_bootstrap(base, cand)
    assert (diff, low, high) == bootstrap_ci(cand - base)
    assert 0 < low < diff < high
    # Unpaired intervals overlap heavily: pairing is what makes the difference visible.
    assert bootstrap_ci(base)[2] > bootstrap_ci(cand)[1]


def test_paired_identical_and_shifted() -> None:
    values = np.linspace(0, 1, 30)
    assert paired_bootstrap(values, values) == (0.0, 0.0, 0.0)
    diff, low, high = paired_bootstrap(values, values + 0.5)
    assert diff == pytest.approx(0.5) and low == pytest.approx(0.5) and high == pytest.approx(0.5)


def test_fast_for_a_thousand_items() -> None:
    values = np.random.default_rng(0).uniform(size=1000)
    start = time.perf_counter()
    bootstrap_ci(values)
    assert time.perf_counter() - start < 1.0


def test_label() -> None:
    assert bootstrap_label() == (
        "percentile,B=1000,seed=0,level=0.95;sets:subsample-n/2-centred;binary:modified-wilson"
    )
