"""compare_runs: the paired regression check and its refusals."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from invbench.contracts.errors import InvbenchError
from invbench.leaderboard import (
    IMPROVEMENT,
    INCOMPARABLE,
    NO_CHANGE,
    REGRESSION,
    compare_runs,
)

WER_MAIN = {"alignment": "wer", "quality": "dnsmos_ovrl"}


def _scores(match_rate: float, quality: float, wer: float, n: int = 30, seed: int = 0) -> list:
    """Per-target scores around the given levels, with per-target noise."""
    rng = np.random.default_rng(seed)
    return [
        {"exact_match": float(rng.uniform() < match_rate),
         "dnsmos_ovrl": float(quality + rng.normal(0, 0.05)),
         "wer": float(max(0.0, wer + rng.normal(0, 0.05)))}
        for _ in range(n)
    ]  # fmt: skip


def _row(report, metric: str):
    (row,) = [r for r in report.rows if r.metric == metric]
    return row


def test_clear_regression_is_flagged(make_run) -> None:
    base = make_run(_scores(0.95, 3.0, 0.1))
    cand = make_run(_scores(0.10, 2.0, 0.8, seed=1), config_hash="new")
    report = compare_runs(base, cand)
    assert report.has_regression and not report.has_incomparable
    row = _row(report, "exact_match")
    assert row.status == REGRESSION and row.ci_high < 0 and row.diff < -0.5
    assert (row.base_config_hash, row.cand_config_hash) == ("1a2b3c4d5e6f", "new")
    assert row.n_targets == 30 and row.n_items == 30
    assert _row(report, "dnsmos_ovrl").status == REGRESSION
    assert [r.metric for r in report.rows] == ["exact_match", "dnsmos_ovrl"]  # main scores
    assert "regression" in report.to_text()


def test_identical_runs_show_no_change(make_run) -> None:
    base = make_run(_scores(0.5, 3.0, 0.3), seeds=(0, 1))
    report = compare_runs(base, copy.deepcopy(base))
    assert not report.has_regression and not report.has_incomparable
    for row in report.rows:
        assert row.status == NO_CHANGE and row.diff == 0.0 and row.ci_low == row.ci_high == 0.0
        assert row.n_targets == 30 and row.n_items == 60


def test_improvement(make_run) -> None:
    report = compare_runs(make_run(_scores(0.1, 2.0, 0.8)), make_run(_scores(0.95, 3.0, 0.1)))
    assert {r.status for r in report.rows} == {IMPROVEMENT} and not report.has_regression


def test_lower_is_better_is_respected(make_run) -> None:
    """A WER increase is a regression even though the number went up."""
    base = make_run(_scores(0.5, 3.0, 0.1), main_scores=WER_MAIN)
    worse = make_run(_scores(0.5, 3.0, 0.6), main_scores=WER_MAIN)
    row = _row(compare_runs(base, worse, metrics=["wer"]), "wer")
    assert row.status == REGRESSION and row.higher_is_better is False
    assert row.cand_mean > row.base_mean and row.diff < 0  # oriented: negative is worse
    assert _row(compare_runs(worse, base, metrics=["wer"]), "wer").status == IMPROVEMENT


def test_tolerance_absorbs_small_changes(make_run) -> None:
    base = make_run([{"exact_match": 1.0, "dnsmos_ovrl": 3.0}] * 30)
    cand = make_run([{"exact_match": 1.0, "dnsmos_ovrl": 2.95}] * 30)
    assert _row(compare_runs(base, cand), "dnsmos_ovrl").status == REGRESSION
    assert _row(compare_runs(base, cand, tolerance=0.1), "dnsmos_ovrl").status == NO_CHANGE
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(InvbenchError, match="tolerance"):
            compare_runs(base, cand, tolerance=bad)


def test_signature_change_is_incomparable(make_run, make_record) -> None:
    outputs = copy.deepcopy(make_record()["outputs"])
    outputs["exact_match"]["signature"] = "exact_match|norm:none|version:2"
    base = make_run(_scores(0.9, 3.0, 0.1))
    report = compare_runs(base, make_run(_scores(0.1, 2.0, 0.1), outputs=outputs))
    row = _row(report, "exact_match")
    assert row.status == INCOMPARABLE and "signature" in row.reason
    assert report.has_incomparable and report.has_regression  # dnsmos still compared
    assert "incomparable" in report.to_text()


def test_target_set_change_is_incomparable(make_run) -> None:
    base = make_run(_scores(0.9, 3.0, 0.1))
    cand = make_run(_scores(0.9, 3.0, 0.1), target_set_sha256="b" * 64)
    report = compare_runs(base, cand)
    assert {r.status for r in report.rows} == {INCOMPARABLE}
    assert all("target set" in r.reason for r in report.rows)
    assert not report.has_regression


def test_items_pair_on_target_and_seed(make_run, make_record) -> None:
    base = make_run([{"exact_match": 1.0}] * 30)
    cand = make_run([{"exact_match": 1.0}] * 20)  # t020..t029 missing
    cand.append(make_record("t025", status="error"))
    row = _row(compare_runs(base, cand, metrics=["exact_match"]), "exact_match")
    assert (row.n_targets, row.status) == (20, NO_CHANGE)
    failed = make_run([{"exact_match": 1.0}] * 30, status="nan")
    row = _row(compare_runs(base, failed, metrics=["exact_match"]), "exact_match")
    assert row.status == INCOMPARABLE and "no (target, seed)" in row.reason


def test_unmatched_rows_are_listed(make_run) -> None:
    base = make_run([{"exact_match": 1.0}]) + make_run([{"exact_match": 1.0}], inverter="old")
    cand = make_run([{"exact_match": 1.0}]) + make_run([{"exact_match": 1.0}], task="asr/other")
    report = compare_runs(base, cand)
    assert {(u.side, u.task, u.inverter) for u in report.unmatched} == {
        ("base", "asr/mini", "old"),
        ("candidate", "asr/other", "waveform-adam"),
    }
    assert "unmatched (base): asr/mini@1 old" in report.to_text()
    # dnsmos_ovrl is a declared main score that no item has: refused, with the reason why.
    assert _row(report, "dnsmos_ovrl").reason == "no item has this metric in either run"


def test_several_configs_pair_only_on_equal_hashes(make_run) -> None:
    base = make_run([{"exact_match": 1.0}]) + make_run([{"exact_match": 1.0}], config_hash="b")
    cand = make_run([{"exact_match": 1.0}], config_hash="b") + make_run(
        [{"exact_match": 1.0}], config_hash="c"
    )
    report = compare_runs(base, cand, metrics=["exact_match"])
    assert [(r.base_config_hash, r.cand_config_hash) for r in report.rows] == [("b", "b")]
    assert {(u.side, u.config_hash) for u in report.unmatched} == {
        ("base", "1a2b3c4d5e6f"),
        ("candidate", "c"),
    }


def test_metric_absent_from_a_task_is_skipped_not_refused(make_run) -> None:
    runs = make_run([{"exact_match": 1.0}], outputs={"exact_match": {
        "signature": "em|version:1", "higher_is_better": True}})  # fmt: skip
    runs += make_run([{"pesq_wb": 2.0}], task="tts/mini", outputs={"pesq_wb": {
        "signature": "pesq|version:1", "higher_is_better": True}})  # fmt: skip
    report = compare_runs(runs, runs, metrics=["exact_match", "pesq_wb"])
    assert [(r.task, r.metric) for r in report.rows] == [("asr/mini", "exact_match"),
                                                         ("tts/mini", "pesq_wb")]
