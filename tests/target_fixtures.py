"""Builders for tests: a small include-path with its own target set and task, built from the
shipped transcripts-mini, so tests can corrupt files without touching the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from invbench.files import sha256_file
from invbench.resources import resource_dir
from invbench.target_sets import content_sha256

SOURCE = resource_dir("data") / "targets" / "transcripts-mini"


def build_include_path(root: Path, n: int = 3, max_steps: int = 3, batch_size: int = 1,
                       max_seconds: float = 60) -> Path:
    """``root/targets/transcripts-tiny`` (first ``n`` targets) and ``root/tasks/tiny.yaml``."""
    target_dir = root / "targets" / "transcripts-tiny"
    (target_dir / "audio").mkdir(parents=True)
    lines = (SOURCE / "targets.jsonl").read_text().splitlines()[:n]
    for line in lines:
        audio = json.loads(line)["hidden"]["audio"]
        shutil.copy(SOURCE / audio, target_dir / audio)
    (target_dir / "targets.jsonl").write_text("\n".join(lines) + "\n")
    rehash(target_dir)
    manifest = json.loads((target_dir / "manifest.json").read_text())
    task = f"""
name: asr/tiny
version: 1
family: asr
suite: tiny
description: three targets for tests
forward_model: {{id: whisper, options: {{name: tiny.en}}}}
targets: {{name: transcripts-tiny, version: 1, content_sha256: {manifest["content_sha256"]}}}
metrics: [exact_match, wer, cer, dnsmos, pesq_wb, stoi, snr]
main_scores: {{alignment: exact_match, quality: dnsmos_ovrl}}
budget: {{max_steps: {max_steps}, max_seconds: {max_seconds}}}
default_batch_size: {batch_size}
"""
    (root / "tasks").mkdir()
    (root / "tasks" / "tiny.yaml").write_text(task)
    return root


def rehash(target_dir: Path, source: Path = SOURCE, name: str = "transcripts-tiny") -> None:
    """(Re)write the manifest of a test target set from the files present."""
    files = {
        str(p.relative_to(target_dir)): sha256_file(p)
        for p in sorted(target_dir.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    base = json.loads((source / "manifest.json").read_text())
    count = len((target_dir / "targets.jsonl").read_text().splitlines())
    base.update(name=name, version=1, count=count, files=files,
                content_sha256=content_sha256(files))
    (target_dir / "manifest.json").write_text(json.dumps(base, indent=2))




IMAGE_SOURCE = resource_dir("data") / "targets" / "captions-mini"


def build_image_include_path(root: Path, n: int = 3, pool: int = 8, max_steps: int = 5,
                             batch_size: int = 1, max_seconds: float = 60) -> Path:
    """``root/targets/captions-tiny`` (first ``n`` targets, ``pool`` pool renders) and
    ``root/tasks/captioner-tiny.yaml`` using the shipped captioners and mini-CLIP."""
    target_dir = root / "targets" / "captions-tiny"
    lines = (IMAGE_SOURCE / "targets.jsonl").read_text().splitlines()[:n]
    pool_lines = (IMAGE_SOURCE / "pool.jsonl").read_text().splitlines()[:pool]
    rels = [json.loads(x)["hidden"]["image"] for x in lines]
    rels += [json.loads(x)["image"] for x in pool_lines]
    for rel in rels:
        (target_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(IMAGE_SOURCE / rel, target_dir / rel)
    (target_dir / "targets.jsonl").write_text("\n".join(lines) + "\n")
    (target_dir / "pool.jsonl").write_text("\n".join(pool_lines) + "\n")
    rehash(target_dir, IMAGE_SOURCE, "captions-tiny")
    manifest = json.loads((target_dir / "manifest.json").read_text())
    task = f"""
name: captioner/tiny
version: 1
family: captioner
suite: tiny
description: three caption targets for tests
forward_model: {{id: shapes-captioner, options: {{name: captioner}}}}
judges: {{transfer: {{id: shapes-captioner, options: {{name: captioner-judge}}}}}}
targets: {{name: captions-tiny, version: 1, content_sha256: {manifest["content_sha256"]}}}
metrics:
  - exact_match
  - bleu
  - {{id: exact_match, prefix: transfer_, fields: {{hypothesis: transfer_hypothesis}}}}
  - {{id: clip_score, options: {{model: mini-clip}}}}
  - {{id: fid_kid, options: {{model: mini-clip}}}}
  - ssim
main_scores: {{alignment: exact_match, quality: kid}}
budget: {{max_steps: {max_steps}, max_seconds: {max_seconds}}}
default_batch_size: {batch_size}
"""
    (root / "tasks").mkdir(parents=True, exist_ok=True)
    (root / "tasks" / "captioner-tiny.yaml").write_text(task)
    return root


GENERATOR_SOURCE = resource_dir("data") / "targets" / "images-mini"


def build_generator_include_path(root: Path, n: int = 2, max_steps: int = 3,
                                 batch_size: int = 1) -> Path:
    """``root/targets/images-tiny`` (first ``n`` images-mini targets) and
    ``root/tasks/generator-tiny.yaml`` using the shipped generator and mini-CLIP."""
    target_dir = root / "targets" / "images-tiny"
    lines = (GENERATOR_SOURCE / "targets.jsonl").read_text().splitlines()[:n]
    for rel in (json.loads(x)["target"]["image"] for x in lines):
        (target_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(GENERATOR_SOURCE / rel, target_dir / rel)
    (target_dir / "targets.jsonl").write_text("\n".join(lines) + "\n")
    rehash(target_dir, GENERATOR_SOURCE, "images-tiny")
    manifest = json.loads((target_dir / "manifest.json").read_text())
    task = f"""
name: generator/tiny
version: 1
family: generator
suite: tiny
description: two generated-image targets for tests
forward_model: {{id: shapes-generator, options: {{name: generator, seed: 0}}}}
targets: {{name: images-tiny, version: 1, content_sha256: "{manifest["content_sha256"]}"}}
metrics:
  - {{id: clip_image_similarity, options: {{model: mini-clip}}}}
  - ssim
  - {{id: bleu, prefix: prompt_}}
  - nearest_token_cosine
  - token_validity
  - {{id: projection_gap, options: {{model: mini-clip}}}}
main_scores: {{alignment: clip_image_similarity, interpretability: nearest_token_cosine}}
budget: {{max_steps: {max_steps}, max_seconds: 60}}
default_batch_size: {batch_size}
"""
    (root / "tasks").mkdir(parents=True, exist_ok=True)
    (root / "tasks" / "generator-tiny.yaml").write_text(task)
    return root
