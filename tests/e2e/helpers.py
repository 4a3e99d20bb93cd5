"""Run the CLI in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from invbench.store.records import record_json
from invbench.store.run_store import RunStore

REPO = Path(__file__).resolve().parents[2]


def invbench(*args: str, env: dict | None = None, check: bool = True,
             **kwargs) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "invbench.cli.main", *args], capture_output=True,
                          text=True, env=full_env, cwd=REPO, timeout=600, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"invbench {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc


def records(run: Path) -> dict[str, dict]:
    """The latest record per key, as the JSON objects stored."""
    return {key: record_json(r) for key, r in RunStore(run).latest_records().items()}


def evaluate_task(include: Path, task: str, inverters: str, out: Path,
                  batch_size: int) -> dict[str, dict]:
    """``invbench evaluate`` of one task from an include path; the records it wrote."""
    invbench("evaluate", "--include-path", str(include), "--tasks", task, "--inverters", inverters,
             "--batch-size", str(batch_size), "--out", str(out), "--no-progress")  # fmt: skip
    return records(out)


def leaderboard_without_timing(run: Path) -> pd.DataFrame:
    table = pd.read_csv(run / "leaderboard.csv")
    return table[[c for c in table.columns if "seconds" not in c]]
