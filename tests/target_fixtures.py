"""Builders for tests: a small include-path with its own target set and task, built from the
shipped transcripts-mini, so tests can corrupt files without touching the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from invbench.fs.atomic import sha256_file
from invbench.fs.shipped import resource_dir
from invbench.targets.target_set import content_sha256

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


def copy_subset(source: Path, target_dir: Path, name: str, files: dict[str, list[str]],
                media: list[str]) -> str:
    """Copy ``media`` files and the given JSONL ``files`` (name -> lines) of ``source`` into
    ``target_dir`` as the set ``name``; return its new content sha256."""
    for rel in media:
        (target_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / rel, target_dir / rel)
    for file, lines in files.items():
        (target_dir / file).write_text("\n".join(lines) + "\n")
    rehash(target_dir, source, name)
    return json.loads((target_dir / "manifest.json").read_text())["content_sha256"]


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
    lines = (IMAGE_SOURCE / "targets.jsonl").read_text().splitlines()[:n]
    pool_lines = (IMAGE_SOURCE / "pool.jsonl").read_text().splitlines()[:pool]
    media = [json.loads(x)["hidden"]["image"] for x in lines]
    media += [json.loads(x)["image"] for x in pool_lines]
    sha = copy_subset(IMAGE_SOURCE, root / "targets" / "captions-tiny", "captions-tiny",
                      {"targets.jsonl": lines, "pool.jsonl": pool_lines}, media)
    task = f"""
name: captioner/tiny
version: 1
family: captioner
suite: tiny
description: three caption targets for tests
forward_model: {{id: shapes-captioner, options: {{name: captioner}}}}
judges: {{transfer: {{id: shapes-captioner, options: {{name: captioner-judge}}}}}}
targets: {{name: captions-tiny, version: 1, content_sha256: {sha}}}
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


def copy_first_targets(source: Path, dest: Path, n: int, media_field: str) -> str:
    """The first ``n`` targets of a generated set (one media file each) as a set named after
    ``dest``; its content sha256."""
    lines = (source / "targets.jsonl").read_text().splitlines()[:n]
    media = [json.loads(x)["target"][media_field] for x in lines]
    return copy_subset(source, dest, dest.name, {"targets.jsonl": lines}, media)


def build_generator_include_path(root: Path, n: int = 2, max_steps: int = 3,
                                 batch_size: int = 1) -> Path:
    """``root/targets/images-tiny`` (first ``n`` images-mini targets) and
    ``root/tasks/generator-tiny.yaml`` using the shipped generator and mini-CLIP."""
    sha = copy_first_targets(GENERATOR_SOURCE, root / "targets" / "images-tiny", n, "image")
    task = f"""
name: generator/tiny
version: 1
family: generator
suite: tiny
description: two generated-image targets for tests
forward_model: {{id: shapes-generator, options: {{name: generator, seed: 0}}}}
targets: {{name: images-tiny, version: 1, content_sha256: "{sha}"}}
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


SPEECH_SOURCE = resource_dir("data") / "targets" / "clips-mini"


def build_tts_include_path(root: Path, n: int = 2, max_steps: int = 3,
                           batch_size: int = 1) -> Path:
    """``root/targets/clips-tiny`` (first ``n`` clips-mini targets) and
    ``root/tasks/tts-tiny.yaml`` using the shipped TTS and Whisper tiny.en as the judge."""
    sha = copy_first_targets(SPEECH_SOURCE, root / "targets" / "clips-tiny", n, "audio")
    task = f"""
name: tts/tiny
version: 1
family: tts
suite: tiny
description: two TTS clips for tests
forward_model: {{id: mini-tts, options: {{name: tts}}}}
judges: {{asr: {{id: whisper, options: {{name: tiny.en}}}}}}
targets: {{name: clips-tiny, version: 1, content_sha256: "{sha}"}}
metrics:
  - mel_dtw_distance
  - {{id: mel_dtw_distance, prefix: soft_, fields: {{audio: soft_audio}}}}
  - {{id: wer, fields: {{hypothesis: transcript}}}}
  - {{id: wer, prefix: soft_, fields: {{hypothesis: soft_transcript}}}}
  - dnsmos
  - {{id: wer, prefix: prompt_}}
  - nearest_token_cosine
  - token_validity
  - mel_projection_gap
main_scores: {{alignment: mel_dtw_distance, interpretability: nearest_token_cosine}}
budget: {{max_steps: {max_steps}, max_seconds: 60}}
default_batch_size: {batch_size}
"""
    (root / "tasks").mkdir(parents=True, exist_ok=True)
    (root / "tasks" / "tts-tiny.yaml").write_text(task)
    return root
