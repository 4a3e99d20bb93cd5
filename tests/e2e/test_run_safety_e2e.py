"""Run safety end to end, in-process, on a two-target captioner task scored by exact match only:
an inverter over its step budget is recorded ``over_budget`` and never ranked; a failed artifact
save is an ``error`` that a rerun recomputes; repeated seeds and inverters run once."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest
from bad_inverters import OverBudget
from helpers import records
from target_fixtures import build_image_include_path

import invbench
from invbench.families.captioner import CaptionerFamily

TASK = """
name: captioner/tiny
version: 1
family: captioner
suite: tiny
description: two caption targets, exact match only (fast)
forward_model: {{id: shapes-captioner, options: {{name: captioner}}}}
targets: {{name: captions-tiny, version: 1, content_sha256: {sha}}}
metrics: [exact_match]
main_scores: {{alignment: exact_match}}
budget: {{max_steps: 3, max_seconds: 60}}
"""


@pytest.fixture(scope="module")
def include(tmp_path_factory) -> Path:
    root = build_image_include_path(tmp_path_factory.mktemp("safety") / "include", n=2, pool=1)
    task = root / "tasks" / "captioner-tiny.yaml"
    sha = re.search(r"content_sha256: (\w+)", task.read_text()).group(1)
    task.write_text(TASK.format(sha=sha))
    return root


def _evaluate(include: Path, out: Path, inverters, log=None, **kwargs):
    return invbench.evaluate(tasks="captioner/tiny", inverters=inverters, include_path=include,
                             out=out, progress=False, log=log or (lambda message: None),
                             **kwargs)


def test_over_budget_is_recorded_and_never_ranked_and_repeats_run_once(include, tmp_path):
    notices: list[str] = []
    results = _evaluate(include, tmp_path / "run", ["noise", OverBudget(), "noise"],
                        log=notices.append, seeds=[0, 0])
    got = list(records(tmp_path / "run").values())
    assert len(got) == 4  # (noise, bad-over-budget) x seed 0 x 2 targets: no repeats
    assert any("seed 0 listed more than once" in n for n in notices)
    assert any(re.search(r"inverter noise \(\w+\) listed more than once", n) for n in notices)
    noise = [r for r in got if r["inverter"] == "noise"]
    over = [r for r in got if r["inverter"] == "bad-over-budget"]
    assert {r["status"] for r in noise} == {"ok"}
    assert {r["status"] for r in over} == {"over_budget"}
    assert all(r["message"] == "over budget: 25 forward passes per target, the budget allows 6 "
               "(2 per step x max_steps 3)" for r in over)
    assert all(r["cost"]["forward_calls"] == 25 and "exact_match" in r["scores"] for r in over)
    table = results.leaderboard().set_index("inverter")
    assert table.loc["bad-over-budget", "n_ok"] == 0
    assert table.loc["bad-over-budget", "coverage"] == 0
    assert table["exact_match"].isna()["bad-over-budget"]  # its scores are never ranked
    assert table.loc["noise", "coverage"] == 1


def test_a_failed_artifact_save_is_an_error_that_a_rerun_recomputes(include, tmp_path,
                                                                     monkeypatch):
    def disk_full(self, inversion, folder, stem):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / f"{stem}.png"))

    run = tmp_path / "run"
    monkeypatch.setattr(CaptionerFamily, "save_artifacts", disk_full)
    _evaluate(include, run, ["noise"])
    first = list(records(run).values())
    assert len(first) == 2 and {r["status"] for r in first} == {"error"}
    for record in first:
        assert "No space left on device" in record["message"]
        assert f"{record['target_id']}-s0.png" in record["message"]  # the path it failed on
        assert record["scores"] == {} and record["artifacts"] == {}

    monkeypatch.undo()
    log: list[str] = []
    _evaluate(include, run, ["noise"], log=log.append)
    assert not any("already complete" in line for line in log)  # both items were recomputed
    second = list(records(run).values())
    assert {r["status"] for r in second} == {"ok"}
    for record in second:
        assert record["artifacts"] and all((run / p).is_file()
                                           for p in record["artifacts"].values())
