"""``invbench prepare`` end to end on the real mini generator, plus the fail-fast preflight.

The paper suite's prepared sets need FLUX.1-dev and Chatterbox on a GPU; the same code renders a
suite whose ``targets.prepare`` names the shipped Shapes generator, so everything but the model
is exercised here: rendering once per (model, text), freezing with checksums, the two layouts,
the pool from other model options, resuming, and evaluating on the frozen set.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invbench, records

from invbench.fs.shipped import resource_dir
from invbench.targets.target_set import content_sha256

SOURCE = resource_dir("data") / "targets" / "images-mini"
RENDER = "{id: shapes-generator, options: {name: generator, seed: 0}}"


def _write_source(root: Path, n: int = 2) -> str:
    """A text set of the first ``n`` hidden captions of images-mini; its content sha256."""
    rows = [json.loads(x) for x in (SOURCE / "targets.jsonl").read_text().splitlines()[:n]]
    folder = root / "targets" / "captions-src"
    folder.mkdir(parents=True)
    lines = "".join(json.dumps({"id": f"c{k}", "target": {"text": r["hidden"]["text"]}}) + "\n"
                    for k, r in enumerate(rows))
    (folder / "targets.jsonl").write_text(lines)
    from invbench.fs.atomic import sha256_file

    files = {"targets.jsonl": sha256_file(folder / "targets.jsonl")}
    manifest = {"name": "captions-src", "version": 1, "count": n, "files": files,
                "content_sha256": content_sha256(files)}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return manifest["content_sha256"]


def _task(name: str, family: str, forward: str, target: str, layout: str, metrics: str,
          sha: str, pool: str = "") -> str:
    return f"""
name: {name}
version: 1
family: {family}
suite: prep
description: a task whose targets invbench prepare renders
forward_model: {forward}
targets:
  name: {target}
  version: 1
  prepared_by: invbench prepare --suite prep
  prepare:
    source: {{name: captions-src, version: 1, content_sha256: "{sha}"}}
    render_with: {RENDER}
    layout: {layout}
    {pool}
metrics: {metrics}
main_scores: {{alignment: ssim}}
budget: {{max_steps: 2, max_seconds: 60}}
"""


@pytest.fixture
def prep(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "include"
    sha = _write_source(root)
    (root / "tasks").mkdir()
    (root / "tasks" / "gen.yaml").write_text(_task(
        "generator/prep", "generator", RENDER, "images-prep", "hidden-text", "[ssim]", sha))
    (root / "tasks" / "cap.yaml").write_text(_task(
        "captioner/prep", "captioner", "{id: shapes-captioner, options: {name: captioner}}",
        "captions-prep", "hidden-media", "[exact_match, ssim]", sha,
        pool="pool_options: {seed: 1}"))
    return root, {"INVBENCH_CACHE": str(tmp_path / "cache")}


def test_missing_prepared_set_stops_evaluate_before_any_compute(prep, tmp_path):
    root, env = prep
    out = tmp_path / "run"
    proc = invbench("evaluate", "--include-path", str(root), "--suite", "prep", "--out", str(out),
                    "--inverters", "reference", env=env, check=False)
    assert proc.returncode == 2
    assert "2 required asset(s) missing" in proc.stderr
    assert "targets:images-prep@1" in proc.stderr and "targets:captions-prep@1" in proc.stderr
    assert "invbench prepare --suite prep" in proc.stderr
    assert not out.exists()  # nothing was started
    doctor = invbench("doctor", "--include-path", str(root), "--suite", "prep", env=env,
                      check=False)
    assert doctor.returncode == 1
    assert doctor.stdout.count("MISSING") == 2 and "ready to run: none" in doctor.stdout


def test_prepare_freezes_sets_that_evaluate_verifies(prep, tmp_path):
    root, env = prep
    invbench("prepare", "--include-path", str(root), "--suite", "prep", "--device", "cpu",
             "--no-progress", env=env)
    prepared = Path(env["INVBENCH_CACHE"]) / "targets"
    gen, cap = prepared / "images-prep", prepared / "captions-prep"
    gen_rows = [json.loads(x) for x in (gen / "targets.jsonl").read_text().splitlines()]
    cap_rows = [json.loads(x) for x in (cap / "targets.jsonl").read_text().splitlines()]
    assert [r["hidden"]["text"] for r in gen_rows] == [r["target"]["text"] for r in cap_rows]
    # rendered once: the generator's target is byte-identical to the captioner's reference
    def png(folder: Path, rel: str) -> bytes:
        return (folder / rel).read_bytes()

    for g, c in zip(gen_rows, cap_rows, strict=True):
        assert png(gen, g["target"]["image"]) == png(cap, c["hidden"]["image"])
    manifest = json.loads((cap / "manifest.json").read_text())
    assert manifest["pool_count"] == 2 and manifest["image_size"] == [64, 64]
    assert manifest["made_by"]["pool_with"]["options"]["seed"] == 1
    pool = [json.loads(x) for x in (cap / "pool.jsonl").read_text().splitlines()]
    assert png(cap, pool[0]["image"]) != png(cap, cap_rows[0]["hidden"]["image"])
    assert not (prepared / "images-prep.partial").exists()

    doctor = invbench("doctor", "--include-path", str(root), "--suite", "prep", env=env)
    assert "MISSING" not in doctor.stdout
    out = tmp_path / "run"
    invbench("evaluate", "--include-path", str(root), "--tasks", "generator/prep", "--out",
             str(out), "--inverters", "reference", "--no-progress", env=env)
    frozen = json.loads((gen / "manifest.json").read_text())["content_sha256"]
    done = list(records(out).values())
    assert len(done) == 2
    for record in done:
        assert record["status"] == "ok" and record["target_set_sha256"] == frozen
        assert record["scores"]["ssim"] > 0.99  # the hidden caption redraws its own target

    # a tampered file is caught before any compute
    first = gen / gen_rows[0]["target"]["image"]
    first.write_bytes(first.read_bytes() + b"x")
    proc = invbench("evaluate", "--include-path", str(root), "--tasks", "generator/prep",
                    "--out", str(tmp_path / "run2"), "--inverters", "reference", env=env,
                    check=False)
    assert proc.returncode == 2 and "checksum mismatch" in proc.stderr


def test_prepare_resumes_from_renders_already_made(prep):
    root, env = prep
    args = ("prepare", "--include-path", str(root), "--suite", "prep", "--tasks",
            "generator/prep", "--device", "cpu", "--no-progress")
    invbench(*args, "--limit", "1", env=env)
    prepared = Path(env["INVBENCH_CACHE"]) / "targets"
    renders = next((prepared / ".renders").iterdir())
    [made] = list(renders.iterdir())
    stamp = made.stat().st_mtime_ns
    import shutil

    shutil.rmtree(prepared / "images-prep")  # as if the freeze never happened
    invbench(*args, env=env)
    assert made.stat().st_mtime_ns == stamp  # kept, not rendered again
    assert json.loads((prepared / "images-prep" / "manifest.json").read_text())["count"] == 2


def test_paper_suite_fails_fast_on_this_machine_naming_each_missing_asset(tmp_path):
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub"),
           "XDG_CACHE_HOME": str(tmp_path / "xdg"), "INVBENCH_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "run"
    proc = invbench("evaluate", "--suite", "paper", "--out", str(out), env=env, check=False)
    assert proc.returncode == 2 and not out.exists()
    doctor = invbench("doctor", "--suite", "paper", env=env, check=False)
    assert doctor.returncode == 1 and "ready to run: none" in doctor.stdout
    for key in ("whisper:large-v3", "hf:Salesforce/blip-image-captioning-large",
                "hf:black-forest-labs/FLUX.1-dev", "python:chatterbox", "hf:ResembleAI/chatterbox",
                "targets:images-paper@1", "targets:clips-paper@1"):
        assert key in proc.stderr and key in doctor.stdout, key
    assert "optional" in doctor.stdout and "python:open_clip" in doctor.stdout
