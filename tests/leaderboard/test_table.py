"""build_leaderboard: columns, coverage, seeds, ordering and determinism."""

from __future__ import annotations

import random

import numpy as np
import pytest

from invbench.contracts.errors import InvbenchError
from invbench.leaderboard import bootstrap_ci, build_leaderboard, to_csv
from invbench.leaderboard.binary import wilson_interval

WER_MAIN = {"alignment": "wer", "quality": "dnsmos_ovrl"}


def _mixed_records(make_record, make_run) -> list[dict]:
    """Two tasks, three inverters, two seeds, failures and a missing per-item output."""
    rng = np.random.default_rng(0)
    records = []
    for inverter, level in (("adam", 0.9), ("loop", 0.4)):
        scores = [
            {"exact_match": float(rng.uniform() < level), "dnsmos_ovrl": float(rng.uniform(1, 3)),
             "wer": float(rng.uniform(0, 1)), "snr": float(rng.normal(-0.5, 1))}
            for _ in range(12)
        ]  # fmt: skip
        records += make_run(scores, seeds=(0, 1), inverter=inverter)
    records += make_run([{"wer": 0.2}, {"wer": 0.1}], task="tts/mini", main_scores=WER_MAIN)
    records += make_run([{"wer": 0.5}, {"wer": 0.7}], task="tts/mini", main_scores=WER_MAIN,
                        inverter="soft")  # fmt: skip
    records.append(make_record("t099", 0, inverter="adam", status="error"))
    records.append(make_record("t098", 1, inverter="loop", status="timeout"))
    records.append(make_record("t097", 0, inverter="loop", scores={"dnsmos_ovrl": 2.0}))
    return records


def test_columns_in_documented_order(make_run) -> None:
    df = build_leaderboard(make_run([{"exact_match": 1.0, "dnsmos_ovrl": 2.0, "wer": 0.0,
                                      "snr": 3.0}]))  # fmt: skip
    metrics = ["exact_match", "dnsmos_ovrl", "snr", "wer"]  # main (alignment, quality), then a-z
    expected = [
        "task", "task_version", "target_set", "inverter", "inverter_version", "config_hash",
        "oracle", "access", "n_targets", "n_ok", "coverage",
        *[m + s for m in metrics for s in ("", "_ci_low", "_ci_high", "_n")],
        "cost_seconds", "cost_forward_calls", "cost_backward_calls", "cost_steps",
        "signatures", "target_set_sha256", "bootstrap",
    ]  # fmt: skip
    assert list(df.columns) == expected
    row = df.iloc[0]
    assert row["bootstrap"] == (
        "percentile,B=1000,seed=0,level=0.95;sets:subsample-n/2-centred;binary:modified-wilson"
    )
    assert row["signatures"].startswith("dnsmos_ovrl=dnsmos|model:sig_bak_ovr|version:1; ")
    assert row["target_set_sha256"] == "a" * 64
    assert row["cost_forward_calls"] == 11.0


def test_coverage_counts_failed_items(make_record, make_run) -> None:
    records = make_run([{"exact_match": 1.0}] * 7)
    records += [make_record(f"x{i}", status=s) for i, s in enumerate(("error", "nan", "timeout"))]
    row = build_leaderboard(records).iloc[0]
    assert (row["n_targets"], row["n_ok"], row["exact_match_n"]) == (10, 7, 7)
    assert row["coverage"] == pytest.approx(0.7)
    assert row["exact_match"] == 1.0  # failures lower coverage, not the mean over scored items


def test_seeds_are_averaged_per_target_before_bootstrapping(make_record) -> None:
    records = [
        make_record("t0", 0, scores={"exact_match": 0.0}),
        make_record("t0", 1, scores={"exact_match": 1.0}),
        make_record("t1", 0, scores={"exact_match": 1.0}),
    ]
    row = build_leaderboard(records).iloc[0]
    assert row["exact_match"] == pytest.approx(0.75)  # (0.5 + 1.0) / 2, not 2 / 3
    assert row["exact_match_n"] == 3 and row["n_targets"] == 2 and row["n_ok"] == 3
    _, low, high = bootstrap_ci(np.array([0.5, 1.0]))  # 0.5 is not 0/1: the bootstrap
    assert (row["exact_match_ci_low"], row["exact_match_ci_high"]) == (low, high)


def test_binary_rows_get_a_score_interval_that_is_never_zero_width(make_run) -> None:
    row = build_leaderboard(make_run([{"exact_match": 1.0, "snr": 3.0, "wer": 0.0}] * 5)).iloc[0]
    low, high = wilson_interval(5, 5)
    assert (row["exact_match"], row["exact_match_ci_low"], row["exact_match_ci_high"]) == (
        1.0, float(low), float(high))  # fmt: skip
    assert 0.4 < row["exact_match_ci_low"] < 1.0 == row["exact_match_ci_high"]
    assert row["snr_ci_low"] == row["snr_ci_high"] == 3.0  # not 0/1: the bootstrap, unchanged
    # WER's range is [0, inf): zero everywhere is no success count, so the bootstrap too
    assert row["wer_ci_low"] == row["wer_ci_high"] == 0.0


def test_rows_sorted_by_task_then_main_alignment(make_record, make_run) -> None:
    df = build_leaderboard(_mixed_records(make_record, make_run))
    assert list(zip(df["task"], df["inverter"], strict=True)) == [
        ("asr/mini", "adam"), ("asr/mini", "loop"),  # exact_match: higher first
        ("tts/mini", "waveform-adam"), ("tts/mini", "soft"),  # wer: lower first
    ]  # fmt: skip
    assert df.attrs["main_scores"]["tts/mini@1"]["alignment"] == "wer"
    assert df.attrs["higher_is_better"]["tts/mini@1"]["wer"] is False


def test_missing_output_and_nan_cells(make_record, make_run) -> None:
    df = build_leaderboard(_mixed_records(make_record, make_run))
    loop = df[df["inverter"] == "loop"].iloc[0]
    assert loop["n_ok"] == 25 and loop["exact_match_n"] == 24 and loop["dnsmos_ovrl_n"] == 25
    tts = df[df["task"] == "tts/mini"].iloc[0]
    assert tts["exact_match_n"] == 0 and np.isnan(tts["exact_match"])


def test_record_order_never_changes_the_csv(make_record, make_run) -> None:
    records = _mixed_records(make_record, make_run)
    expected = to_csv(build_leaderboard(records)).encode()
    for trial in range(5):
        shuffled = list(records)
        random.Random(trial).shuffle(shuffled)
        assert to_csv(build_leaderboard(shuffled)).encode() == expected


def test_duplicate_item_keeps_the_latest_record(make_record) -> None:
    old = make_record(scores={"exact_match": 0.0}, time="2026-01-01T00:00:00+00:00")
    new = make_record(scores={"exact_match": 1.0}, time="2026-02-01T00:00:00+00:00")
    for records in ([old, new], [new, old]):
        row = build_leaderboard(records).iloc[0]
        assert row["exact_match"] == 1.0 and row["n_ok"] == 1


def test_config_hashes_are_separate_rows(make_run) -> None:
    records = make_run([{"exact_match": 1.0}]) + make_run([{"exact_match": 0.0}], config_hash="f")
    df = build_leaderboard(records)
    assert list(df["config_hash"]) == ["1a2b3c4d5e6f", "f"]


def test_mixed_target_sets_in_one_row_are_refused(make_record) -> None:
    records = [make_record("t0"), make_record("t1", target_set_sha256="b" * 64)]
    with pytest.raises(InvbenchError, match="target_set_sha256"):
        build_leaderboard(records)


def test_empty_input_gives_an_empty_table() -> None:
    df = build_leaderboard([])
    assert df.empty and list(df.columns)[:3] == ["task", "task_version", "target_set"]
