"""The lockfile ``invbench prefetch`` writes: for each asset of a suite, the exact revision it
fetched and the sha256 of every file, so another machine can check it holds the same weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.fs.atomic import atomic_write_bytes
from invbench.fs.cache import cache_dir

SCHEMA = 1


def default_lockfile(suite: str) -> Path:
    return cache_dir() / "locks" / f"{suite}.lock.json"


def write_lockfile(path: Path, suite: str, entries: dict[str, dict[str, Any]],
                   created: str, libraries: dict[str, str | None]) -> None:
    data = {"schema": SCHEMA, "suite": suite, "created": created, "libraries": libraries,
            "assets": dict(sorted(entries.items()))}
    atomic_write_bytes(Path(path), (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def read_lockfile(path: Path) -> dict[str, Any] | None:
    """The lockfile at ``path``, None if there is none; a corrupt one is an error naming it."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvbenchError(f"lockfile {path} is not valid JSON ({exc}); delete it and run "
                            "`invbench prefetch` again") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InvbenchError(f"lockfile {path} has an unknown schema; expected {SCHEMA}")
    return data
