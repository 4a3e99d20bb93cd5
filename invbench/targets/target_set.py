"""Fixed target sets (``data/targets/<name>/``): verified completely before any compute.

A set is ``manifest.json`` (name, version, the sha256 of every file, a content hash over them;
the model is :class:`invbench.targets.manifest.TargetSetManifest`) plus ``targets.jsonl``
(``id``, the visible ``target`` payload, ``hidden`` reference fields, ``metadata``), and
optionally a ``pool`` of natural non-target inputs (``pool.jsonl``, e.g. the renders FID/KID
compare against). Fields that name files are decoded here: ``.wav`` with
soundfile (never ffmpeg), ``.png`` with Pillow (RGB, to [0, 1] floats). A checksum mismatch, a
missing file or a wrong sample rate or image size is an error naming the file.
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
from invbench.contracts.media import Image, Waveform
from invbench.contracts.names import is_safe_name, safe_name_rule
from invbench.contracts.task_spec import TargetSetRef
from invbench.fs.atomic import sha256_file
from invbench.targets.manifest import TargetSetManifest, read_target_set_manifest


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
    manifest: TargetSetManifest
    items: list[TargetItem]
    # Natural inputs that are not targets (e.g. renders for FID/KID), decoded like hidden fields.
    pool: list[dict[str, Any]] = field(default_factory=list)

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
    how = f"; make it on a GPU with `{ref.prepared_by}`" if ref.prepared_by else ""
    raise TargetSetError(
        f"target set {ref.name!r} not found (looked in: {', '.join(tried)}){how}")


def _verify_files(root: Path, manifest: TargetSetManifest, ref: TargetSetRef) -> None:
    files = manifest.files
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
    if recomputed != manifest.content_sha256:
        raise TargetSetError(f"{root / 'manifest.json'}: content_sha256 does not match its files")
    if ref.content_sha256 is not None and recomputed != ref.content_sha256:
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


def _decode_image(path: Path, expected_size: tuple[int, int] | None) -> Image:
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with PILImage.open(path) as handle:
            if handle.mode != "RGB":
                raise TargetSetError(f"{path}: image mode {handle.mode}, expected RGB")
            array = np.asarray(handle, dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as exc:
        raise TargetSetError(f"cannot decode image {path}: {exc}") from None
    height, width = array.shape[:2]
    if expected_size is not None and [height, width] != list(expected_size):
        raise TargetSetError(f"{path}: image is {height}x{width}, the manifest says "
                             f"{expected_size[0]}x{expected_size[1]}")
    return Image(torch.from_numpy(array.copy()).permute(2, 0, 1).float().div(255.0))


def _decode_fields(root: Path, row: dict[str, Any], manifest: TargetSetManifest) -> dict:
    """Decode the fields of ``row`` that name media files (``.wav``, ``.png``) in the set."""
    decoded = {}
    for name, value in row.items():
        if isinstance(value, str) and value.endswith((".wav", ".png")):
            if value not in manifest.files:
                raise TargetSetError(f"{root}: {value} is used but not listed in the manifest")
            if value.endswith(".wav"):
                decoded[name] = _decode_audio(root / value, manifest.sample_rate)
            else:
                decoded[name] = _decode_image(root / value, manifest.image_size)
        else:
            decoded[name] = value
    return decoded


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line]
    except json.JSONDecodeError as exc:
        raise TargetSetError(f"{path} is not valid JSON lines: {exc}") from None


def _check_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Refuse, before any compute, an id that is not a safe name (it becomes part of artifact
    paths and record keys), a repeated id, and an empty or blank text field (no metric can score
    it, and it can fail the valid items sharing its batch)."""
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        target_id = row.get("id") if isinstance(row, dict) else None
        if not is_safe_name(target_id):
            raise TargetSetError(
                f"{path} line {number}: target id {target_id!r} is not allowed; {safe_name_rule()}")
        if target_id in seen:
            raise TargetSetError(f"{path}: target id {target_id!r} appears more than once")
        seen.add(target_id)
        for part in ("target", "hidden"):
            fields = row.get(part) or {}
            if not isinstance(fields, dict):
                raise TargetSetError(f"{path}: target {target_id!r}: {part} must be an object")
            for name, value in fields.items():
                if isinstance(value, str) and not value.strip():
                    raise TargetSetError(
                        f"{path}: target {target_id!r} has an empty {part} field {name!r}; "
                        "every text a task reads must be non-empty")


def load_target_set(ref: TargetSetRef, search_dirs: Iterable[Path]) -> TargetSet:
    """Find, verify and decode the target set ``ref`` pins."""
    import datasets  # loaded here: only evaluation pays for the import

    root = _find(ref, search_dirs)
    manifest = read_target_set_manifest(root / "manifest.json")
    if manifest.name != ref.name or manifest.version != ref.version:
        raise TargetSetError(
            f"{root / 'manifest.json'} describes {manifest.name}@{manifest.version},"
            f" the task expects {ref.name}@{ref.version}"
        )
    _verify_files(root, manifest, ref)
    rows = _read_jsonl(root / "targets.jsonl")
    _check_rows(root / "targets.jsonl", rows)
    table = datasets.Dataset.from_list(rows)
    items = [
        TargetItem(
            id=row["id"],
            target=_decode_fields(root, row["target"], manifest),
            hidden=_decode_fields(root, row.get("hidden") or {}, manifest),
            metadata=row.get("metadata") or {},
        )
        for row in table
    ]
    pool_file = manifest.pool
    if pool_file is not None and pool_file not in manifest.files:
        raise TargetSetError(f"{root}: pool file {pool_file} is not listed in the manifest")
    pool = [_decode_fields(root, row, manifest) for row in _read_jsonl(root / pool_file)] \
        if pool_file else []
    return TargetSet(ref.name, ref.version, manifest.content_sha256, root, manifest, items, pool)
