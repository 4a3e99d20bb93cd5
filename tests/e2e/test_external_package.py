"""An external package written from docs/ only — a forward model, a metric and a task pack with
its target set — pip-installed on its own and run by ``invbench evaluate --tasks`` with no file
of invbench edited (tests/fixtures/external_pkg)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import REPO, invbench, records

PACKAGE = REPO / "tests" / "fixtures" / "external_pkg"
TASK_FILE = PACKAGE / "invbench_energy_asr" / "pack" / "energy-words-v1.yaml"
TASK = "asr/energy-words"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The package installed by pip into a folder of its own (from a copy: building in place
    would leave build/ and egg-info in the repository)."""
    root = tmp_path_factory.mktemp("external")
    source = shutil.copytree(PACKAGE, root / "source")
    target = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(source)], check=True)
    assert (target / "invbench_energy_asr" / "pack" / "targets" / "energy-words"
            / "manifest.json").is_file()  # the wheel carries the task pack's data
    return target


def with_site(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": f"{site}:{REPO}"}


def test_evaluate_runs_the_installed_task_with_its_model_and_metric(site, tmp_path):
    assert TASK not in invbench("tasks").stdout  # only the installed package brings it
    assert TASK in invbench("tasks", env=with_site(site)).stdout
    run = tmp_path / "run"
    invbench("evaluate", "--tasks", TASK, "--out", str(run), "--no-progress",
             env=with_site(site))

    got = list(records(run).values())
    assert got and {r["status"] for r in got} == {"ok"}, [r["message"] for r in got]
    assert {r["task"] for r in got} == {TASK}
    by_inverter: dict[str, list[float]] = {}
    for record in got:
        by_inverter.setdefault(record["inverter"], []).append(record["scores"]["letter_accuracy"])
        assert "letter_accuracy|case:lower" in json.dumps(record["outputs"])
    assert {"waveform-adam", "reference", "noise"} <= set(by_inverter)
    assert all(len(v) == 4 for v in by_inverter.values())  # every target of energy-words
    assert by_inverter["reference"] == [1.0] * 4  # the set's renders transcribe exactly
    assert by_inverter["waveform-adam"] == [1.0] * 4  # the toy's objective is optimisable
    assert max(by_inverter["noise"]) < 0.5  # and noise does not pass for speech

    manifest = json.loads((run / "manifest.json").read_text())
    model = manifest["models"][f"{TASK}@1"]
    assert model["model_id"] == "energy-asr" and re.fullmatch(r"[0-9a-f]{64}",
                                                              model["weights_sha256"])

    board = tmp_path / "board.csv"
    invbench("leaderboard", str(run), "--csv", str(board), env=with_site(site))
    table = pd.read_csv(board)
    assert set(table["task"]) == {TASK} and "letter_accuracy" in table.columns
    adam = table[table["inverter"] == "waveform-adam"].iloc[0]
    assert adam["letter_accuracy"] == 1.0 and adam["n_ok"] == 4


def test_the_pinned_target_set_is_rebuilt_byte_for_byte(tmp_path):
    """The package's render script plus `invbench targets freeze` reproduce the hash its task
    pins (no plug-in loading is involved: the package runs from its source folder)."""
    folder = tmp_path / "energy-words"
    env = {"PYTHONPATH": f"{PACKAGE}:{REPO}"}
    subprocess.run([sys.executable, "-m", "invbench_energy_asr.render", str(folder)],
                   check=True, env={**os.environ, **env}, cwd=tmp_path)
    out = invbench("targets", "freeze", str(folder), "--version", "1", "--description",
                   "rebuilt", env=env).stdout
    pinned = yaml.safe_load(TASK_FILE.read_text())["targets"]["content_sha256"]
    assert re.search(r"content_sha256: ([0-9a-f]{64})", out).group(1) == pinned
