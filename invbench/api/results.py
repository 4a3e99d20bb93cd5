"""What ``invbench.evaluate`` returns: a view of one run folder, read from its records.

Nothing here recomputes a score: the leaderboard is the table ``invbench leaderboard RUN_DIR``
builds (the same function), and the per-item frame is the stored records, flattened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from invbench.leaderboard import build_leaderboard
from invbench.store.records import SetReference
from invbench.store.run_store import read_runs

# Encoded feature blobs (for FID/KID) are large and meaningless as table cells.
_BULKY = ("set_features",)


def leaderboard_of(run_dirs: Iterable[str | Path], families: Sequence[str] | None = None
                   ) -> pd.DataFrame:
    """The leaderboard of run folders (e.g. shards), optionally of some task families only."""
    records = read_runs(list(run_dirs))
    if families:
        records = [r for r in records if r.task.split("/")[0] in families]
    return build_leaderboard(records)


def _as_dict(record: Any) -> dict[str, Any]:
    """A stored record as a plain dict (typed records are dumped to their JSON form)."""
    dump = getattr(record, "model_dump", None)
    return dump(mode="json") if callable(dump) else dict(record)


class EvaluationResults:
    """The results of one run folder: ``records``, ``to_pandas()``, ``leaderboard()``.

    The folder may hold more than the call that returned this object wrote (an earlier,
    resumed run); every view covers the whole folder, as ``invbench leaderboard`` does.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)

    def __repr__(self) -> str:
        return f"EvaluationResults(run_dir={str(self.run_dir)!r}, items={len(self.records)})"

    @property
    def records(self) -> list[dict[str, Any]]:
        """The latest record of every (task, inverter, config, target, seed) item, by key."""
        items = [_as_dict(r) for r in read_runs([self.run_dir]) if not isinstance(r, SetReference)]
        return sorted(items, key=lambda r: str(r.get("key", "")))

    def to_pandas(self) -> pd.DataFrame:
        """One row per item; nested fields become dotted columns (``scores.wer``,
        ``cost.seconds``, ``model_output.caption``)."""
        rows = [{k: v for k, v in r.items() if k not in _BULKY} for r in self.records]
        return pd.json_normalize(rows) if rows else pd.DataFrame()

    def leaderboard(self, families: Sequence[str] | None = None) -> pd.DataFrame:
        """The leaderboard of this run folder (``families``: only those tasks)."""
        return leaderboard_of([self.run_dir], families)
