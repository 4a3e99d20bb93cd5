"""The ``tts/paper`` task end to end on the tiny Chatterbox, through the real command line:
``invbench prepare`` renders its target clips with the model found in the Hugging Face cache
under ``ResembleAI/chatterbox`` (offline, by the adapter's own ``snapshot_download``), then
``invbench evaluate`` inverts and scores them and writes the leaderboard.

The task is ``tasks/tts/paper-v1.yaml`` as shipped — forward model, targets (with their
``prepare`` block), metrics and main scores — except for three keys: its name (a task of the
same name and version may not be defined twice), a small step budget, and the ASR judge,
Whisper tiny.en instead of large-v3 (whose released checkpoint, checked by its sha256, cannot
be downloaded here). The subprocess runs ``tiny_chatterbox_cli.py``: the CLI with the tiny T3
backbone and the capped sampling loop of :mod:`chatterbox_tiny` active."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import yaml

from invbench.store.records import record_json
from invbench.store.run_store import RunStore

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PAPER_TASK = REPO / "tasks" / "tts" / "paper-v1.yaml"
SNAPSHOT = "0" * 40  # any commit id: the cache maps refs/main to it
INVERTERS = ("reference", "soft-prompt")
TARGETS = 2


def plant_in_hub_cache(folder: Path, cache: Path, repo_id: str) -> None:
    """``folder``'s files as the cached snapshot of ``repo_id`` (the hub cache's layout)."""
    root = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = root / "snapshots" / SNAPSHOT
    snapshot.mkdir(parents=True)
    for path in folder.iterdir():
        (snapshot / path.name).symlink_to(path)
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(SNAPSHOT)


def lane_task(root: Path) -> str:
    spec = yaml.safe_load(PAPER_TASK.read_text())
    assert spec["forward_model"]["options"]["model"] == "ResembleAI/chatterbox"
    spec.update(name="tts/paper-lane", suite="paper-lane",
                budget={"max_steps": 4, "max_seconds": 600},
                judges={"asr": {"id": "whisper", "options": {"name": "tiny.en"}}})
    (root / "tasks").mkdir(parents=True)
    (root / "tasks" / "tts-paper-lane.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return spec["name"]


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(HERE / "tiny_chatterbox_cli.py"), *args],
                          capture_output=True, text=True, env={**os.environ, **env}, cwd=REPO,
                          timeout=900)
    assert proc.returncode == 0, f"invbench {args[0]} failed:\n{proc.stderr[-3000:]}"
    return proc


def test_tts_paper_prepares_inverts_and_scores_on_the_tiny_chatterbox(chatterbox_folder,
                                                                     tmp_path: Path):
    plant_in_hub_cache(chatterbox_folder, tmp_path / "hub", "ResembleAI/chatterbox")
    env = {"HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1",
           "INVBENCH_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(HERE)}
    include = tmp_path / "include"
    task = lane_task(include)
    cli("prepare", "--include-path", str(include), "--suite", "paper-lane", "--device", "cpu",
        "--limit", str(TARGETS), "--no-progress", env=env)
    [prepared] = (tmp_path / "cache" / "targets").glob("clips-paper*")
    assert len(list(prepared.rglob("*.wav"))) == TARGETS

    run, board = tmp_path / "run", tmp_path / "board.csv"
    cli("evaluate", "--include-path", str(include), "--tasks", task, "--inverters",
        ",".join(INVERTERS), "--limit", str(TARGETS), "--out", str(run), "--leaderboard",
        f"tts={board}", "--no-progress", env=env)
    done = [record_json(r) for r in RunStore(run).latest_records().values()]
    assert len(done) == TARGETS * len(INVERTERS)
    assert all(r["status"] == "ok" for r in done), [r.get("error") for r in done]
    metrics = ("mel_dtw_distance", "soft_mel_dtw_distance", "wer", "soft_wer", "dnsmos_ovrl",
               "prompt_wer", "prompt_semantic_similarity", "nearest_token_cosine",
               "token_validity", "projection_gap")
    for record in done:
        scores = record["scores"]
        for name in metrics:
            assert isinstance(scores.get(name), float) and math.isfinite(scores[name]), name
    soft = [r for r in done if r["inverter"] == "soft-prompt"]
    assert all(r["cost"]["steps"] == 4 for r in soft)
    # the hidden sentence, spoken again by the same seeded generate, is the prepared clip
    for record in (r for r in done if r["inverter"] == "reference"):
        scores = record["scores"]
        assert scores["mel_dtw_distance"] < 1e-3 and scores["prompt_wer"] == 0.0
        assert scores["projection_gap"] == 0.0

    manifest = json.loads((run / "manifest.json").read_text())
    [model] = [m for key, m in manifest["models"].items() if key.startswith(task)]
    assert model["model_id"] == "chatterbox:ResembleAI/chatterbox"
    assert model["chatterbox_version"] == "0.1.7" and "Perth" in model["watermark"]
    assert model["folder"].endswith(SNAPSHOT)  # found in the hub cache, offline
    with board.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["inverter"] for row in rows) == sorted(INVERTERS)
