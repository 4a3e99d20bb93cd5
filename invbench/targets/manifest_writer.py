"""Writing a target set: its files, each with its sha256, and the ``manifest.json`` that pins them.

Every set invbench writes (the shipped sets' builders and ``invbench prepare``) goes through
here, so every manifest has one layout: the set's own facts first (``name``, ``version``,
``description``, ``licence``, ``count``, ...), then ``files`` (path -> sha256, in the order they
were written) and ``content_sha256`` (:func:`invbench.targets.target_set.content_sha256`), then
any facts that must follow them; JSON with two-space indents and a final newline. The bytes
matter: a builder's ``--verify`` and the tests compare rebuilt manifests with the committed ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from invbench.fs.atomic import atomic_write_bytes, sha256_file
from invbench.targets.target_set import content_sha256

MANIFEST = "manifest.json"


def jsonl_bytes(rows: Iterable[dict[str, Any]], ensure_ascii: bool = True) -> bytes:
    """One JSON object per line, each line ending in a newline, UTF-8."""
    return "".join(json.dumps(row, ensure_ascii=ensure_ascii) + "\n" for row in rows).encode()


def manifest_for(
    facts: dict[str, Any], files: dict[str, str], after: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The manifest of a set with ``files`` (path -> sha256): ``facts``, the files and their
    content hash, then ``after``."""
    return {**facts, "files": files, "content_sha256": content_sha256(files), **(after or {})}


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The exact bytes of ``manifest.json``."""
    return (json.dumps(manifest, indent=2) + "\n").encode()


def write_manifest(
    root: Path, facts: dict[str, Any], files: dict[str, str], after: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write ``root/manifest.json`` for ``files`` (atomically, after them); return it."""
    manifest = manifest_for(facts, files, after)
    atomic_write_bytes(Path(root) / MANIFEST, manifest_bytes(manifest))
    return manifest


class SetWriter:
    """Writes a set's files under ``root`` and remembers each one's sha256 in write order; the
    manifest comes last, so a set with a manifest is complete."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.files: dict[str, str] = {}

    def write(self, rel: str, data: bytes) -> None:
        atomic_write_bytes(self.root / rel, data)
        self.files[rel] = hashlib.sha256(data).hexdigest()

    def write_jsonl(self, rel: str, rows: Iterable[dict[str, Any]],
                    ensure_ascii: bool = True) -> None:
        self.write(rel, jsonl_bytes(rows, ensure_ascii))

    def record(self, rel: str) -> None:
        """Hash a file already under ``root`` (written by other means, e.g. copied)."""
        self.files[rel] = sha256_file(self.root / rel)

    def finish(self, facts: dict[str, Any], after: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the manifest for everything written so far; return it."""
        return write_manifest(self.root, facts, self.files, after)


def check_manifest(root: Path) -> list[str]:
    """The files of the set at ``root`` whose bytes its manifest does not pin (missing or
    changed), and ``manifest.json`` itself unless it is byte for byte what
    :func:`write_manifest` writes for the files on disk."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        return [str(path)]
    stored = json.loads(path.read_text(encoding="utf-8"))
    pinned: dict[str, str] = stored.get("files", {})
    bad = [rel for rel, sha in pinned.items()
           if not (Path(root) / rel).is_file() or sha256_file(Path(root) / rel) != sha]
    keys = list(stored)
    cut = keys.index("files") if "files" in keys else len(keys)
    facts = {k: stored[k] for k in keys[:cut]}
    after = {k: stored[k] for k in keys[cut:] if k not in ("files", "content_sha256")}
    if manifest_bytes(manifest_for(facts, pinned, after)) != path.read_bytes():
        bad.append(MANIFEST)
    return bad
