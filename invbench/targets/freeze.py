"""Freeze a folder of targets into a pinned target set (``invbench targets freeze DIR``).

A user writes ``targets.jsonl`` (and the media files it names) into a folder named after the
set; freezing checks every row and file, lists the sha256 of every file in ``manifest.json``,
computes the set's ``content_sha256`` with the very function the loader verifies with
(:func:`invbench.targets.target_set.content_sha256`), and finally loads the set back through
:func:`~invbench.targets.target_set.load_target_set`, so a set that freezes is a set that loads.
The printed hash is what a task YAML pins under ``targets.content_sha256``.

The manifest is written by the one writer every set goes through
(:func:`invbench.targets.manifest_writer.write_manifest`) after it validates as a
:class:`~invbench.targets.manifest.TargetSetManifest`. Existing manifest fields the user added
(``how_made``, a licence) are kept where they stood, before or after ``files``, and files
already listed keep their order (new ones follow, sorted): re-freezing an unchanged set, the
shipped ones included, rewrites its manifest byte for byte. The computed fields (``files``,
``count``, ``content_sha256``, the media format) are rewritten.

Every problem is a one-line :class:`TargetSetError` naming the file (and the line of
``targets.jsonl``) at fault.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from invbench.contracts.errors import InvbenchError, TargetSetError
from invbench.contracts.task_spec import TargetSetRef
from invbench.fs.atomic import atomic_write_bytes, sha256_file
from invbench.fs.typed_json import validate_as
from invbench.targets.manifest import TargetSetManifest
from invbench.targets.manifest_writer import MANIFEST, manifest_for, write_manifest
from invbench.targets.target_set import load_target_set

TARGETS = "targets.jsonl"
POOL = "pool.jsonl"
MEDIA_SUFFIXES = (".wav", ".png")  # the field values the loader decodes as files
# A set is found by its folder name and target ids become artifact file names: keep both plain.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class FrozenSet:
    """The outcome of a freeze: what a task YAML pins, and what was written."""

    root: Path
    name: str
    version: int
    count: int
    files: int
    content_sha256: str

    def yaml_snippet(self) -> str:
        """The ``targets:`` block to paste into a task YAML."""
        return (f"targets:\n  name: {self.name}\n  version: {self.version}\n"
                f"  content_sha256: {self.content_sha256}\n")


def _read_manifest(root: Path) -> dict[str, Any]:
    """The folder's current manifest as a plain dict ({} when there is none): it may be a
    user's draft (a description, a licence), not yet a valid :class:`TargetSetManifest`."""
    path = root / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TargetSetError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise TargetSetError(f"{path} must hold a JSON object")
    return data


def _read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, row)`` for every non-empty line of a JSON-lines file."""
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TargetSetError(f"{path} is not UTF-8 text: {exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TargetSetError(f"{path} line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise TargetSetError(f"{path} line {number}: expected a JSON object")
        rows.append((number, row))
    return rows


def _check_targets(path: Path, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Every row has a plain unique ``id``, a ``target`` object, optional object fields."""
    if not rows:
        raise TargetSetError(f"{path} holds no targets")
    seen: dict[str, int] = {}
    for number, row in rows:
        where = f"{path} line {number}"
        target_id = row.get("id")
        if not isinstance(target_id, str) or not ID_PATTERN.match(target_id):
            raise TargetSetError(f"{where}: 'id' must be a string of letters, digits, '.', '_' "
                                 f"or '-', got {target_id!r}")
        if target_id in seen:
            raise TargetSetError(f"{where}: id {target_id!r} repeats line {seen[target_id]}")
        seen[target_id] = number
        if not isinstance(row.get("target"), dict) or not row["target"]:
            raise TargetSetError(f"{where}: 'target' must be a non-empty object")
        for key in ("hidden", "metadata"):
            if key in row and not isinstance(row[key], dict):
                raise TargetSetError(f"{where}: {key!r} must be an object")
        unknown = sorted(set(row) - {"id", "target", "hidden", "metadata"})
        if unknown:
            raise TargetSetError(f"{where}: unknown fields {unknown} (expected id, target, "
                                 f"hidden, metadata)")


def _media_refs(root: Path, path: Path, rows: list[tuple[int, dict[str, Any]]],
                nested: bool) -> list[Path]:
    """The media files the rows name (``target``/``hidden`` values, or top-level values of
    pool rows), each checked to be a file inside ``root``."""
    found = []
    for number, row in rows:
        values = [*row.get("target", {}).values(), *(row.get("hidden") or {}).values()] \
            if nested else list(row.values())
        for value in values:
            if not (isinstance(value, str) and value.endswith(MEDIA_SUFFIXES)):
                continue
            media = (root / value).resolve()
            if Path(value).is_absolute() or root.resolve() not in media.parents:
                raise TargetSetError(f"{path} line {number}: {value!r} must be a path inside "
                                     f"the set's folder")
            if not media.is_file():
                raise TargetSetError(f"{path} line {number}: media file {root / value} is "
                                     f"missing")
            found.append(media)
    return found


def _one_value(values: dict[Path, Any], what: str) -> Any:
    """The single value all media files share (``None`` when there are none)."""
    if not values:
        return None
    first_path, expected = min(values.items())
    for path, value in sorted(values.items()):
        if value != expected:
            raise TargetSetError(f"{path}: {what} {value}, but {first_path.name} has {expected} "
                                 f"(the loader needs one {what} for the whole set)")
    return expected


def _media_format(media: list[Path]) -> dict[str, Any]:
    """``sample_rate`` of the ``.wav`` files and ``image_size`` of the ``.png`` files, which the
    loader checks every decoded file against (read from the files, never from an old
    manifest); mono audio and RGB images only."""
    import soundfile
    from PIL import Image, UnidentifiedImageError

    rates: dict[Path, int] = {}
    sizes: dict[Path, list[int]] = {}
    for path in sorted(set(media)):
        try:
            if path.suffix == ".wav":
                info = soundfile.info(str(path))
                if info.channels != 1:
                    raise TargetSetError(f"{path}: {info.channels} channels, expected mono")
                rates[path] = int(info.samplerate)
            else:
                with Image.open(path) as image:
                    if image.mode != "RGB":
                        raise TargetSetError(f"{path}: image mode {image.mode}, expected RGB")
                    sizes[path] = [image.height, image.width]
        except (RuntimeError, OSError, UnidentifiedImageError) as exc:
            raise TargetSetError(f"cannot decode {path}: {exc}") from None
    found = {"sample_rate": _one_value(rates, "sample rate"),
             "image_size": _one_value(sizes, "image size")}
    return {key: value for key, value in found.items() if value is not None}


def list_files(root: Path) -> dict[str, str]:
    """``relative posix path -> sha256`` of every file of the set but its manifest; hidden
    files and folders (``.DS_Store``, ``.git``) are not part of a set."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if rel.as_posix() != MANIFEST:
            files[rel.as_posix()] = sha256_file(path)
    return files


def _identity(root: Path, manifest: dict[str, Any], name: str | None, version: int | None,
              description: str | None) -> tuple[str, int, str]:
    where = root / MANIFEST
    name = name or manifest.get("name") or root.name
    if name != root.name:
        raise TargetSetError(f"{root}: the folder must be named after the set ({name!r}); tasks "
                             f"find a set by its folder name")
    if not NAME_PATTERN.match(name):
        raise TargetSetError(f"{root}: set name {name!r} must be lowercase letters, digits, "
                             f"'.', '_' or '-'")
    version = version if version is not None else manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TargetSetError(f"{where}: no valid 'version' (an integer >= 1); give --version N")
    description = description or manifest.get("description")
    if not isinstance(description, str) or not description.strip():
        raise TargetSetError(f"{where}: no 'description'; give --description TEXT")
    return name, version, description.strip()


def _build_manifest(root: Path, previous: dict[str, Any], name: str | None,
                    version: int | None, description: str | None,
                    licence: str | None
                    ) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The new manifest's facts (before ``files``), its files and the facts after them."""
    name, version, description = _identity(root, previous, name, version, description)
    targets_path = root / TARGETS
    if not targets_path.is_file():
        raise TargetSetError(f"{root}: no {TARGETS} (one JSON object per line: id, target, "
                             f"hidden, metadata)")
    rows = _read_rows(targets_path)
    _check_targets(targets_path, rows)
    media = _media_refs(root, targets_path, rows, nested=True)
    pool = previous.get("pool") or (POOL if (root / POOL).is_file() else None)
    pool_info: dict[str, Any] = {}
    if pool is not None:
        if not isinstance(pool, str) or not (root / pool).is_file():
            raise TargetSetError(f"{root / MANIFEST}: pool file {pool!r} is missing")
        pool_rows = _read_rows(root / pool)
        media += _media_refs(root, root / pool, pool_rows, nested=False)
        pool_info = {"pool": pool, "pool_count": len(pool_rows)}
    head = {"name": name, "version": version, "description": description}
    if licence or previous.get("licence"):
        head["licence"] = licence or previous["licence"]
    head["count"] = len(rows)
    computed = {**_media_format(media), **pool_info}
    before, after = _kept_fields(previous, {*head, *computed})
    files = _in_old_order(list_files(root), previous.get("files"))
    return {**head, **computed, **before}, files, after


def _kept_fields(previous: dict[str, Any], computed: set[str]
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The previous manifest's other fields (a user's ``how_made``), split into those that stood
    before ``files`` and those after ``content_sha256``, so each stays where it was."""
    keys = list(previous)
    cut = keys.index("files") if "files" in keys else len(keys)
    kept = [k for k in keys if k not in {*computed, "files", "content_sha256"}]
    return ({k: previous[k] for k in kept if keys.index(k) < cut},
            {k: previous[k] for k in kept if keys.index(k) > cut})


def _in_old_order(files: dict[str, str], old: Any) -> dict[str, str]:
    """``files`` in the order the previous manifest listed them, new ones after (sorted): the
    order is not hashed, and keeping it keeps an unchanged set's manifest unchanged."""
    listed = [rel for rel in old if rel in files] if isinstance(old, dict) else []
    return {rel: files[rel] for rel in [*listed, *(rel for rel in files if rel not in listed)]}


def freeze_target_set(folder: str | Path, *, name: str | None = None,
                      version: int | None = None, description: str | None = None,
                      licence: str | None = None) -> FrozenSet:
    """Check ``folder``, (re)write its ``manifest.json`` atomically and verify that the set loads
    with the hash it now declares. Options override what the existing manifest says."""
    root = Path(folder)
    if not root.is_dir():
        raise TargetSetError(f"target set folder {str(root)!r} does not exist")
    manifest_path = root / MANIFEST
    before = manifest_path.read_bytes() if manifest_path.is_file() else None
    facts, files, after = _build_manifest(root, _read_manifest(root), name, version,
                                          description, licence)
    manifest = validate_as(TargetSetManifest, manifest_for(facts, files, after),
                           str(manifest_path), TargetSetError)  # before anything is written
    write_manifest(root, facts, files, after)
    ref = TargetSetRef(name=manifest.name, version=manifest.version,
                       content_sha256=manifest.content_sha256)
    try:
        load_target_set(ref, [root.parent])
    except Exception as exc:  # the loader's own check failed: leave the old manifest in place
        if before is None:
            manifest_path.unlink()
        else:
            atomic_write_bytes(manifest_path, before)
        if isinstance(exc, InvbenchError):
            raise
        text = " ".join(str(exc).split())[:300]
        raise TargetSetError(f"{root / TARGETS}: the rows do not load as one table "
                             f"({type(exc).__name__}: {text})") from None
    return FrozenSet(root, manifest.name, manifest.version, manifest.count or 0,
                     len(manifest.files), manifest.content_sha256)
