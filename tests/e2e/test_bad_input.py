"""Bad input: one-line errors before compute, per-item statuses during it, nothing lost."""

import time
from pathlib import Path

from helpers import invbench, records

BAD = str(Path(__file__).parent / "bad_inverters.py")


def test_misbehaving_inverters_are_recorded_per_item(include_path, tmp_path):
    run = tmp_path / "run"
    invbench("evaluate", "--include-path", str(include_path), "--tasks", "asr/tiny",
             "--inverter-path", BAD, "--inverters",
             "reference,bad-nan,bad-shape,bad-rate,bad-raise,bad-second-item",
             "--batch-size", "3", "--out", str(run), "--no-progress")
    by = {}
    for record in records(run).values():
        by.setdefault(record["inverter"], []).append(record)
    assert {r["status"] for r in by["reference"]} == {"ok"}
    assert all(r["scores"]["exact_match"] == 1.0 for r in by["reference"])
    assert {r["status"] for r in by["bad-nan"]} == {"nan"}
    assert all("NaN" in r["message"] for r in by["bad-nan"])
    assert all("1-D" in r["message"] for r in by["bad-shape"])
    assert all("8000 Hz, expected 16000 Hz" in r["message"] for r in by["bad-rate"])
    raised = by["bad-raise"]
    assert {r["status"] for r in raised} == {"error"} and len(raised) == 3
    assert all("deliberate failure with a second line" in r["message"] for r in raised)
    mixed = {r["target_id"]: r for r in by["bad-second-item"]}
    assert mixed["t000"]["status"] == "ok" and "dnsmos_ovrl" in mixed["t000"]["scores"]
    assert mixed["t001"]["status"] == "nan"
    assert mixed["t002"]["status"] == "ok"
    table = (run / "leaderboard.csv").read_text()
    assert "bad-raise" in table and "reference" in table


def test_an_inverter_that_ignores_its_time_budget_is_stopped(tmp_path):
    from target_fixtures import build_include_path

    include = build_include_path(tmp_path / "include", n=1, max_seconds=1)
    run = tmp_path / "run"
    start = time.monotonic()
    invbench("evaluate", "--include-path", str(include), "--tasks", "asr/tiny",
             "--inverter-path", BAD, "--inverters", "bad-sleep,noise", "--out", str(run),
             "--no-progress")
    assert time.monotonic() - start < 90
    got = {r["inverter"]: r for r in records(run).values()}
    assert got["bad-sleep"]["status"] == "timeout"
    assert "hard time limit" in got["bad-sleep"]["message"]
    assert got["noise"]["status"] == "ok"


def _one_line_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_unknown_names_get_suggestions(tmp_path):
    out = str(tmp_path / "run")
    _one_line_error(invbench("evaluate", "--inverters", "waveform-adm", "--out", out,
                             check=False), "unknown inverter 'waveform-adm'", "waveform-adam")
    _one_line_error(invbench("evaluate", "--tasks", "asr/mni", "--out", out, check=False),
                    "unknown task 'asr/mni'", "asr/mini")


def test_corrupt_target_file_stops_before_compute(include_path, tmp_path):
    wav = include_path / "targets" / "transcripts-tiny" / "audio" / "t000.wav"
    wav.write_bytes(wav.read_bytes()[:-10])
    run = tmp_path / "run"
    proc = invbench("evaluate", "--include-path", str(include_path), "--tasks", "asr/tiny",
                    "--inverters", "noise", "--out", str(run), check=False)
    _one_line_error(proc, "checksum mismatch", "t000.wav")
    assert not (run / "records.jsonl").exists()
