"""One process per run folder: a second process is refused (or waits), and a crashed holder's
lock is gone. The holder is always a real second process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO, invbench

from invbench.contracts import InvbenchError
from invbench.store.run_store import RunStore

# holds the run folder's lock, says so, then sleeps for argv[2] seconds and exits
HOLD = """
import sys, time
from invbench.store.run_store import RunStore
with RunStore(sys.argv[1]).lock():
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(run: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run), str(seconds)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_process_is_refused_until_the_holder_dies(image_include_path, tmp_path):
    run = tmp_path / "run"
    holder = _holder(run, 120)
    try:
        busy = f"run folder {run} in use by pid {holder.pid}"
        with pytest.raises(InvbenchError, match=busy), RunStore(run).lock():
            pass
        proc = invbench("evaluate", "--include-path", str(image_include_path), "--tasks",
                        "captioner/tiny", "--inverters", "noise", "--out", str(run),
                        "--no-progress", check=False)
    finally:
        holder.kill()  # a crash: the operating system drops its lock
        holder.wait(timeout=10)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert f"run folder {run} in use by pid {holder.pid}" in lines[0]
    assert "--wait-for-lock" in lines[0]
    assert not (run / "records.jsonl").exists()  # nothing was computed or written
    with RunStore(run).lock():  # the dead holder's lock is gone
        assert (run / "run.lock").read_text().strip() == str(os.getpid())


def test_wait_for_lock_waits_for_the_holder_to_finish(tmp_path):
    run = tmp_path / "run"
    holder = _holder(run, 1.5)
    said: list[str] = []
    start = time.monotonic()
    with RunStore(run).lock(wait=True, log=said.append):
        assert holder.wait(timeout=10) == 0  # it finished before this process got the folder
    assert time.monotonic() - start > 0.5
    assert said == [f"run folder {run} in use by pid {holder.pid}; waiting for it to finish"]
