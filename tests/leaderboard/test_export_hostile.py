"""Leaderboard numbers and files you can trust: hostile names round-trip through csv and pandas,
writes are atomic, inf is not "–", every view shows each metric's N, coverage is honest."""

from __future__ import annotations

import csv
import io
import math
import os

import pandas as pd
import pytest

from invbench.leaderboard import build_leaderboard, to_csv, to_html, to_markdown

NAMES = ["=1+1", "+cmd", "-1", "@x", "a\rb", "a\nb", 'a"b', "a,b", "a\tb", "\tx", "ünï😀",
         "a\r=1+1"]  # fmt: skip


def _expected(name: str) -> str:
    return "'" + name if name.startswith(("=", "+", "-", "@", "\t", "\r")) else name


def test_hostile_names_round_trip_through_csv_and_pandas(make_run) -> None:
    records = []
    for i, name in enumerate(NAMES):
        records += make_run([{"exact_match": i / 10}], inverter=name, config_hash=name,
                            target_set_sha256=name)  # fmt: skip
    df = build_leaderboard(records)
    text = to_csv(df)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(NAMES)
    assert sorted(r["inverter"] for r in rows) == sorted(_expected(n) for n in NAMES)
    for row in rows:
        assert row["config_hash"] == row["inverter"] == row["target_set_sha256"]
    table = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert len(table) == len(NAMES) and list(table.columns) == list(df.columns)
    assert sorted(table["inverter"]) == sorted(_expected(n) for n in NAMES)
    assert sorted(table["exact_match"]) == sorted(i / 10 for i in range(len(NAMES)))


def test_infinite_means_are_written_inf_and_read_back_as_float(make_run) -> None:
    scores = [{"exact_match": 1.0, "snr": 20.0}, {"exact_match": 1.0, "snr": math.inf}]
    df = build_leaderboard(make_run(scores))
    assert (df.loc[0, "snr"], df.loc[0, "snr_ci_high"], df.loc[0, "snr_n"]) == (math.inf,
                                                                                math.inf, 2)
    assert df.loc[0, "snr_ci_low"] == 20.0  # resamples without the infinite item
    text = to_csv(df)
    assert pd.read_csv(io.StringIO(text))["snr"].iloc[0] == math.inf
    assert float(next(csv.DictReader(io.StringIO(text)))["snr"]) == math.inf
    markdown, page = to_markdown(df), to_html(df)
    assert "inf (n=2)" in markdown and "inf" in page and "(n=2)" in page
    assert "| – (n=0) |" in markdown  # dnsmos_ovrl (main) has no value: missing, not inf


def test_values_near_1e308_do_not_overflow(make_run) -> None:
    df = build_leaderboard(make_run([{"exact_match": 1e308}, {"exact_match": 1.7e308}],
                                    seeds=(0, 1)))  # fmt: skip
    assert df.loc[0, "exact_match"] == pytest.approx(1.35e308)
    assert 1e308 <= df.loc[0, "exact_match_ci_low"] <= df.loc[0, "exact_match_ci_high"] <= 1.7e308


def test_nan_is_no_value_and_coverage_counts_the_grid(make_run, make_record) -> None:
    records = make_run([{"exact_match": 1.0, "snr": 1.0}, {"exact_match": math.nan, "snr": 2.0},
                        {"exact_match": 0.0, "snr": math.nan}])  # fmt: skip
    records.append(make_record("t000", seed=1, scores={"exact_match": 1.0}))  # t001/t002 seed 1
    df = build_leaderboard(records)
    row = df.iloc[0]
    assert (row["n_ok"], row["exact_match_n"], row["snr_n"]) == (4, 3, 2)
    assert row["coverage"] == pytest.approx(3 / 6)  # 3 targets x 2 seeds expected
    assert "exact_match ↑ (alignment)" in to_markdown(df) and "(n=3)" in to_markdown(df)


def test_a_failed_write_leaves_the_old_file(make_run, tmp_path, monkeypatch) -> None:
    df = build_leaderboard(make_run([{"exact_match": 1.0}]))
    for writer, name in ((to_csv, "b.csv"), (to_markdown, "b.md"), (to_html, "b.html")):
        path = tmp_path / name
        path.write_text("old", encoding="utf-8")

        def full_disk(fd: int) -> None:
            raise OSError(28, "No space left on device")

        with monkeypatch.context() as patch:
            patch.setattr(os, "fsync", full_disk)
            with pytest.raises(OSError, match="No space"):
                writer(df, path)
        assert path.read_text(encoding="utf-8") == "old"
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
        writer(df, path)
        assert path.read_text(encoding="utf-8") != "old"
