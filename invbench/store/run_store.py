"""The run store: ``runs/<run-id>/`` with ``manifest.json``, ``records.jsonl`` and ``artifacts/``.

``records.jsonl`` is append-only: each record is one line, flushed and fsynced before the next
item starts, so a crash (even SIGKILL) loses at most the item in flight. A partial or corrupt
line (a write cut by a crash) is ignored on read; a complete line that is not a valid record is
an error naming the file, line and field. When a key appears more than once (a failed item
retried, or ``--overwrite``), the last record wins. The line and manifest formats are the
models of :mod:`invbench.store.records` and :mod:`invbench.store.manifest`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.contracts.names import check_name
from invbench.fs.atomic import atomic_write_bytes
from invbench.fs.typed_json import read_json_model
from invbench.store.features import decode_features, encode_features
from invbench.store.manifest import RunManifest
from invbench.store.records import (
    RECORD_SCHEMA,
    REFERENCE_KIND,
    StoredRecord,
    as_records,
    parse_record,
    record_json,
)
from invbench.store.run_lock import run_lock

__all__ = [
    "MANIFEST_FILE", "RECORDS_FILE", "RECORD_SCHEMA", "REFERENCE_KIND", "RunStore",
    "decode_features", "encode_features", "path_inside", "read_runs", "record_key",
    "reference_key",
]  # fmt: skip

RECORDS_FILE = "records.jsonl"
MANIFEST_FILE = "manifest.json"


def reference_key(task_key: str, metric: str, signature: str) -> str:
    """The key of a task's reference-pool features for one set metric and signature."""
    return f"{task_key}|{REFERENCE_KIND}|{metric}|{signature}"


def record_key(task_key: str, inverter: str, config_hash: str, target_id: str, seed: int) -> str:
    """The identity of one result: task@version, inverter, its config hash, target and seed."""
    return f"{task_key}|{inverter}|{config_hash}|{target_id}|{seed}"


def _complete_lines(path: Path) -> Iterable[tuple[int, Any]]:
    """``(line number, decoded JSON)`` of every complete line; torn lines are skipped."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                return  # the partial last line of an interrupted write
            try:
                yield number, json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a torn line that a resumed run terminated with a newline


def path_inside(root: str | Path, path: str | Path) -> bool:
    """Whether ``path``, made absolute and normalised (``..`` resolved), lies under ``root``."""
    base = os.path.normpath(os.path.abspath(root))
    full = os.path.normpath(os.path.abspath(path))
    return full != base and os.path.commonpath([base, full]) == base


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

    def lock(self, wait: bool = False, log: Callable[[str], None] = lambda message: None
             ) -> AbstractContextManager[None]:
        """This folder, exclusively, for the life of a run (see :mod:`invbench.store.run_lock`)."""
        return run_lock(self.root, wait, log)

    def artifact_dir(self, task: str, version: int, inverter: str, config_hash: str) -> Path:
        """``artifacts/<task>-v<version>/<inverter>-<config hash>``, refused (``InvbenchError``)
        if a part is not a safe name or the folder would lie outside this run folder."""
        parts = (f"{task.replace('/', '-')}-v{version}", f"{inverter}-{config_hash}")
        return self.inside(self.artifacts.joinpath(*(check_name("artifact folder", p)
                                                     for p in parts)))

    def inside(self, path: str | Path) -> Path:
        """``path`` if, once made absolute and normalised, it lies inside this run folder."""
        if not path_inside(self.root, path):
            raise InvbenchError(f"path {str(path)!r} is outside the run folder {self.root}")
        return Path(path)

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

    def append(self, record: StoredRecord | Mapping[str, Any]) -> None:
        """Write one record (a mapping is validated first: only valid lines reach the file)."""
        typed = as_records([record])[0]
        line = json.dumps(record_json(typed), sort_keys=True, allow_nan=False) + "\n"
        with self.records_path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def all_records(self) -> list[StoredRecord]:
        """Every complete line, validated (an invalid one is an error naming file and line)."""
        return [parse_record(data, f"{self.records_path} line {number}")
                for number, data in _complete_lines(self.records_path)]

    def latest_records(self) -> dict[str, StoredRecord]:
        """The last record for each key."""
        return {record.key: record for record in self.all_records()}

    def completed_keys(self) -> set[str]:
        return {k for k, r in self.latest_records().items() if r.status == "ok"}

    def read_manifest(self) -> RunManifest | None:
        if not self.manifest_path.exists():
            return None
        return read_json_model(self.manifest_path, RunManifest)

    def write_manifest(self, manifest: RunManifest) -> None:
        data = manifest.model_dump(mode="json", by_alias=True)
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        atomic_write_bytes(self.manifest_path, text.encode())


def read_runs(run_dirs: Iterable[str | Path]) -> list[StoredRecord]:
    """Latest records of several run folders (e.g. shards), merged; later folders win a key."""
    merged: dict[str, StoredRecord] = {}
    for run_dir in run_dirs:
        store = RunStore(run_dir)
        if not store.records_path.exists():
            raise InvbenchError(f"{str(run_dir)!r} is not a run folder (no {RECORDS_FILE})")
        merged.update(store.latest_records())
    return list(merged.values())
