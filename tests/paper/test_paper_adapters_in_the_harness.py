"""The paper adapters inside the real harness: ``invbench prefetch``, ``doctor`` and
``evaluate`` on a task whose forward model is the tiny BLIP (the very ``blip`` adapter the paper
suite uses, loaded from a local folder), scored by the captioner family and stored in a run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from helpers import invbench, records  # noqa: E402
from target_fixtures import IMAGE_SOURCE, copy_subset  # noqa: E402
from tiny_blip import build_tiny_blip  # noqa: E402


def test_tiny_blip_task_prefetch_doctor_and_evaluate(tmp_path: Path):
    folder = build_tiny_blip(tmp_path / "blip")
    root = tmp_path / "include"
    lines = (IMAGE_SOURCE / "targets.jsonl").read_text().splitlines()[:2]
    media = [json.loads(x)["hidden"]["image"] for x in lines]
    sha = copy_subset(IMAGE_SOURCE, root / "targets" / "captions-two", "captions-two",
                      {"targets.jsonl": lines, "pool.jsonl": []}, media)
    (root / "tasks").mkdir()
    (root / "tasks" / "blip.yaml").write_text(f"""
name: captioner/tinyblip
version: 1
family: captioner
suite: tinyblip
description: two captions for the tiny BLIP
forward_model: {{id: blip, options: {{model: "{folder}"}}}}
targets: {{name: captions-two, version: 1, content_sha256: "{sha}"}}
metrics: [exact_match, bleu, wer]
main_scores: {{alignment: exact_match}}
budget: {{max_steps: 3, max_seconds: 60}}
""")
    env = {"INVBENCH_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "0"}
    lock = tmp_path / "tinyblip.lock.json"
    invbench("prefetch", "--include-path", str(root), "--suite", "tinyblip", "--lockfile",
             str(lock), env=env)
    entry = json.loads(lock.read_text())["assets"][f"hf:{folder}"]
    assert entry["kind"] == "local-folder" and "model.safetensors" in entry["files"]
    doctor = invbench("doctor", "--include-path", str(root), "--suite", "tinyblip", env=env)
    assert "ready to run: captioner/tinyblip@1" in doctor.stdout

    out = tmp_path / "run"
    invbench("evaluate", "--include-path", str(root), "--tasks", "captioner/tinyblip",
             "--inverters", "pixels-adam,noise", "--out", str(out), "--no-progress", env=env)
    done = list(records(out).values())
    assert len(done) == 4 and all(r["status"] == "ok" for r in done)
    for record in done:  # BLIP's caption of the recovered image was scored
        assert 0.0 <= record["scores"]["bleu"] <= 100.0 and record["scores"]["wer"] >= 0.0
    adam = [r for r in done if r["inverter"] == "pixels-adam"]
    assert all(r["cost"]["steps"] == 3 for r in adam)
    manifest = json.loads((out / "manifest.json").read_text())
    model = manifest["models"]["captioner/tinyblip@1"]
    assert model["model_id"] == f"blip:{folder}"
    assert model["placement"] == {"device": "cpu", "dtype": "float32", "cpu_offload": False}
    [memory] = manifest["peak_memory"].values()
    assert memory["task"] == "captioner/tinyblip@1" and memory["host_peak_rss_bytes"] > 0
