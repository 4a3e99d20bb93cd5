"""A run killed with SIGKILL resumes without losing or recomputing a completed item."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
from helpers import REPO, invbench, leaderboard_without_timing, records
from target_fixtures import build_include_path


def _args(include, run):
    return ["evaluate", "--include-path", str(include), "--tasks", "asr/tiny",
            "--inverters", "noise,waveform-adam", "--out", str(run), "--no-progress"]


def test_sigkill_then_rerun_matches_an_uninterrupted_run(tmp_path):
    include = build_include_path(tmp_path / "include", max_steps=25)
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    invbench(*_args(include, straight))

    proc = subprocess.Popen([sys.executable, "-m", "invbench.cli.main", *_args(include, killed)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = killed / "records.jsonl"
    deadline = time.monotonic() + 300
    # noise finishes 3 items at once; kill during waveform-adam, after its first item
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = [line for line in path.read_text().splitlines() if line.strip()]
    assert 4 <= len(before) < 6

    rerun = invbench(*_args(include, killed))
    assert "already complete" in rerun.stderr
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert lines[: len(before)] == before  # nothing completed was lost or rewritten
    assert len(lines) == 6 and len(records(killed)) == 6  # and nothing was computed twice
    pd.testing.assert_frame_equal(leaderboard_without_timing(straight),
                                  leaderboard_without_timing(killed))
    manifest = (killed / "manifest.json").read_text()
    assert manifest.count('"command_line"') == 2  # both sessions are on record


def test_overwrite_recomputes_and_appends(include_path, tmp_path):
    run = tmp_path / "run"
    args = ["evaluate", "--include-path", str(include_path), "--tasks", "asr/tiny",
            "--inverters", "noise", "--limit", "1", "--out", str(run), "--no-progress"]
    invbench(*args)
    second = invbench(*args)
    assert "already complete" in second.stderr
    assert (run / "records.jsonl").read_text().count("\n") == 1
    invbench(*args, "--overwrite")
    assert (run / "records.jsonl").read_text().count("\n") == 2
    assert len(records(run)) == 1
