"""The run store: ``runs/<run-id>/`` with ``manifest.json``, ``records.jsonl`` and ``artifacts/``.

``records.jsonl`` is append-only: each record is one line, flushed and fsynced before the next
item starts, so a crash (even SIGKILL) loses at most the item in flight. A partial or corrupt
last line is ignored on read. When a key appears more than once (a failed item retried, or
``--overwrite``), the last record wins.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from invbench.contracts.errors import InvbenchError
from invbench.fs.atomic import atomic_write_bytes

RECORD_SCHEMA = 1
RECORDS_FILE = "records.jsonl"
MANIFEST_FILE = "manifest.json"


REFERENCE_KIND = "set_reference"  # records holding a set metric's reference-pool features


def encode_features(features: np.ndarray) -> str:
    """A feature array as base64 of little-endian float32 (compact, exact for float32 data)."""
    return base64.b64encode(np.asarray(features, dtype="<f4").tobytes()).decode("ascii")


def decode_features(text: str, dim: int | None = None) -> np.ndarray:
    """Inverse of :func:`encode_features`, as float64 (``(N, dim)`` when ``dim`` is given)."""
    flat = np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float64)
    return flat.reshape(-1, dim) if dim else flat


def reference_key(task_key: str, metric: str, signature: str) -> str:
    """The key of a task's reference-pool features for one set metric and signature."""
    return f"{task_key}|{REFERENCE_KIND}|{metric}|{signature}"


def record_key(task_key: str, inverter: str, config_hash: str, target_id: str, seed: int) -> str:
    """The identity of one result: task@version, inverter, its config hash, target and seed."""
    return f"{task_key}|{inverter}|{config_hash}|{target_id}|{seed}"


def read_jsonl_tolerant(path: Path) -> list[dict[str, Any]]:
    """All complete JSON lines of ``path``; a torn line left by a crash is skipped."""
    if not path.exists():
        return []
    records = []
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                break  # the partial last line of an interrupted write
            try:
                records.append(json.loads(raw))
            except json.JSONDecodeError:
                continue
    return records


class RunStore:
    """One run folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.records_path = self.root / RECORDS_FILE
        self.manifest_path = self.root / MANIFEST_FILE
        self.artifacts = self.root / "artifacts"

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._repair_torn_tail()

    def _repair_torn_tail(self) -> None:
        """Terminate a torn last line so the next append starts on a fresh line."""
        if not self.records_path.exists() or self.records_path.stat().st_size == 0:
            return
        with self.records_path.open("rb+") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")
                handle.flush()
                os.fsync(handle.fileno())

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True, allow_nan=False) + "\n"
        with self.records_path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def all_records(self) -> list[dict[str, Any]]:
        return read_jsonl_tolerant(self.records_path)

    def latest_records(self) -> dict[str, dict[str, Any]]:
        """The last record for each key."""
        latest: dict[str, dict[str, Any]] = {}
        for record in self.all_records():
            if "key" in record:
                latest[record["key"]] = record
        return latest

    def completed_keys(self) -> set[str]:
        return {k for k, r in self.latest_records().items() if r.get("status") == "ok"}

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
        atomic_write_bytes(self.manifest_path, text.encode())


def read_runs(run_dirs: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Latest records of several run folders (e.g. shards), merged; later folders win a key."""
    merged: dict[str, dict[str, Any]] = {}
    for run_dir in run_dirs:
        store = RunStore(run_dir)
        if not store.records_path.exists():
            raise InvbenchError(f"{str(run_dir)!r} is not a run folder (no {RECORDS_FILE})")
        merged.update(store.latest_records())
    return list(merged.values())
