"""compare as a CI gate: it never passes by comparing nothing, two inverters compare, costs and
huge or infinite values are handled (issue 14)."""

from __future__ import annotations

import math

import pytest

from invbench.contracts.errors import InvbenchError
from invbench.leaderboard import IMPROVEMENT, INCOMPARABLE, NO_CHANGE, REGRESSION, compare_runs


def _row(report, metric: str):
    (row,) = [r for r in report.rows if r.metric == metric]
    return row


def test_unknown_metric_is_an_error_with_a_suggestion(make_run) -> None:
    run = make_run([{"exact_match": 1.0}] * 3)
    with pytest.raises(InvbenchError, match=r"no run has metric 'exact_mach'; did you mean "
                                            r"'exact_match'"):  # fmt: skip
        compare_runs(run, run, metrics=["exact_mach"])
    with pytest.raises(InvbenchError, match="nonsense"):
        compare_runs(run, run, metrics=["nonsense"])


def test_cost_columns_compare_lower_is_better(make_run) -> None:
    base = make_run([{"exact_match": 1.0}] * 10, cost={"seconds": 1.0, "forward_calls": 5,
                                                       "backward_calls": 5, "steps": 5})
    slow = make_run([{"exact_match": 1.0}] * 10, cost={"seconds": 9.0, "forward_calls": 5,
                                                       "backward_calls": 5, "steps": 5})
    report = compare_runs(base, slow, metrics=["cost_seconds", "cost_steps"])
    seconds = _row(report, "cost_seconds")
    assert seconds.status == REGRESSION and seconds.higher_is_better is False
    assert (seconds.base_mean, seconds.cand_mean, seconds.n_items) == (1.0, 9.0, 10)
    assert _row(report, "cost_steps").status == NO_CHANGE
    assert _row(compare_runs(slow, base, metrics=["cost_seconds"]), "cost_seconds").status == (
        IMPROVEMENT)


def test_version_only_difference_is_named(make_run) -> None:
    report = compare_runs(make_run([{"exact_match": 1.0}]),
                          make_run([{"exact_match": 1.0}], task_version=2))  # fmt: skip
    assert report.rows == [] and report.n_compared == 0
    assert report.version_mismatches == [("asr/mini", "waveform-adam", 1, 2)]
    assert "task versions differ: asr/mini (waveform-adam) v1 in base, v2" in report.to_text()


def test_two_inverters_of_one_run(make_run) -> None:
    run = make_run([{"exact_match": 0.0}] * 20, inverter="noise", config_hash="n0")
    run += make_run([{"exact_match": 1.0}] * 20, inverter="pixels-adam", config_hash="p0")
    report = compare_runs(run, run, metrics=["exact_match"], base_inverter="noise",
                          cand_inverter="pixels-adam")  # fmt: skip
    row = _row(report, "exact_match")
    assert row.status == IMPROVEMENT and row.n_items == 20 and row.diff == 1.0
    assert (row.base_inverter, row.inverter) == ("noise", "pixels-adam")
    assert "noise (n0) -> pixels-adam (p0)" in report.to_text()
    back = compare_runs(run, run, base_inverter="pixels-adam", cand_inverter="noise")
    assert _row(back, "exact_match").status == REGRESSION
    with pytest.raises(InvbenchError, match="did you mean 'pixels-adam'"):
        compare_runs(run, run, base_inverter="noise", cand_inverter="pixel-adam")
    with pytest.raises(InvbenchError, match="both"):
        compare_runs(run, run, base_inverter="noise")


def test_huge_values_do_not_overflow_and_infinities_are_left_out_by_name(make_run) -> None:
    base = make_run([{"exact_match": 1e308}] * 10)
    cand = make_run([{"exact_match": -1e308}] * 10)
    row = _row(compare_runs(base, cand, metrics=["exact_match"]), "exact_match")
    assert row.base_mean == 1e308 and row.cand_mean == -1e308
    assert row.status == REGRESSION and row.diff == -math.inf  # truly beyond float64
    scores = [{"exact_match": 1.0}] * 9 + [{"exact_match": math.inf}]
    row = _row(compare_runs(make_run(scores), make_run(scores), metrics=["exact_match"]),
               "exact_match")  # fmt: skip
    assert row.status == NO_CHANGE and row.n_items == 9
    assert row.reason == "1 paired item(s) with an infinite value left out"
    only_inf = make_run([{"exact_match": math.inf}] * 3)
    row = _row(compare_runs(only_inf, only_inf, metrics=["exact_match"]), "exact_match")
    assert row.status == INCOMPARABLE and "infinite" in row.reason
