"""Fixed target sets (``data/targets/<name>/``): verified completely before any compute.

A set is ``manifest.json`` (name, version, the sha256 of every file, a content hash over them)
plus ``targets.jsonl`` (``id``, the visible ``target`` payload, ``hidden`` reference fields,
``metadata``). Hidden fields that name files are decoded here: ``.wav`` with soundfile (never
ffmpeg). A checksum mismatch, a missing file or a wrong sample rate is an error naming the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import torch

from invbench.contracts.errors import TargetSetError
from invbench.contracts.media import Waveform
from invbench.contracts.task_spec import TargetSetRef
from invbench.files import sha256_file


def content_sha256(files: dict[str, str]) -> str:
    """One hash for a whole set: sha256 of the ``path<TAB>sha256`` lines, sorted by path."""
    text = "".join(f"{path}\t{files[path]}\n" for path in sorted(files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TargetItem:
    id: str
    target: dict[str, Any]
    hidden: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class TargetSet:
    name: str
    version: int
    content_sha256: str
    root: Path
    manifest: dict[str, Any]
    items: list[TargetItem]

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


def _find(ref: TargetSetRef, search_dirs: Iterable[Path]) -> Path:
    tried = []
    for folder in search_dirs:
        candidate = folder / ref.name
        tried.append(str(candidate))
        if (candidate / "manifest.json").is_file():
            return candidate
    raise TargetSetError(f"target set {ref.name!r} not found (looked in: {', '.join(tried)})")


def _verify_files(root: Path, manifest: dict[str, Any], ref: TargetSetRef) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict) or "targets.jsonl" not in files:
        raise TargetSetError(f"{root / 'manifest.json'}: 'files' must list targets.jsonl")
    for rel, expected in sorted(files.items()):
        path = root / rel
        if not path.is_file():
            raise TargetSetError(f"target set {ref.name!r}: missing file {path}")
        actual = sha256_file(path)
        if actual != expected:
            raise TargetSetError(
                f"target set {ref.name!r}: checksum mismatch for {path} "
                f"(expected sha256 {expected[:12]}…, got {actual[:12]}…)"
            )
    recomputed = content_sha256(files)
    if recomputed != manifest.get("content_sha256"):
        raise TargetSetError(f"{root / 'manifest.json'}: content_sha256 does not match its files")
    if recomputed != ref.content_sha256:
        raise TargetSetError(
            f"target set {ref.name!r} at {root} has content hash {recomputed[:12]}…, but the task "
            f"pins {ref.content_sha256[:12]}… (a changed target set needs a new task version)"
        )


def _decode_audio(path: Path, expected_rate: int | None) -> Waveform:
    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise TargetSetError(f"cannot decode audio {path}: {exc}") from None
    if expected_rate is not None and rate != expected_rate:
        raise TargetSetError(f"{path}: sample rate {rate} Hz, the manifest says {expected_rate} Hz")
    if samples.shape[1] != 1:
        raise TargetSetError(f"{path}: {samples.shape[1]} channels, expected mono")
    return Waveform(torch.from_numpy(np.ascontiguousarray(samples[:, 0])), rate)


def _decode_hidden(root: Path, hidden: dict[str, Any], manifest: dict[str, Any]) -> dict:
    decoded = {}
    for name, value in hidden.items():
        if isinstance(value, str) and value.endswith(".wav"):
            if value not in manifest["files"]:
                raise TargetSetError(f"{root}: {value} is used but not listed in the manifest")
            decoded[name] = _decode_audio(root / value, manifest.get("sample_rate"))
        else:
            decoded[name] = value
    return decoded


def load_target_set(ref: TargetSetRef, search_dirs: Iterable[Path]) -> TargetSet:
    """Find, verify and decode the target set ``ref`` pins."""
    import datasets  # loaded here: only evaluation pays for the import

    root = _find(ref, search_dirs)
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TargetSetError(f"{root / 'manifest.json'} is not valid JSON: {exc}") from None
    if manifest.get("name") != ref.name or manifest.get("version") != ref.version:
        raise TargetSetError(
            f"{root / 'manifest.json'} describes {manifest.get('name')}@{manifest.get('version')},"
            f" the task expects {ref.name}@{ref.version}"
        )
    _verify_files(root, manifest, ref)
    rows = [json.loads(line) for line in (root / "targets.jsonl").read_text().splitlines() if line]
    table = datasets.Dataset.from_list(rows)
    ids = table["id"]
    if len(set(ids)) != len(ids):
        raise TargetSetError(f"{root / 'targets.jsonl'}: target ids are not unique")
    items = [
        TargetItem(
            id=row["id"],
            target=row["target"],
            hidden=_decode_hidden(root, row.get("hidden") or {}, manifest),
            metadata=row.get("metadata") or {},
        )
        for row in table
    ]
    return TargetSet(ref.name, ref.version, ref.content_sha256, root, manifest, items)
