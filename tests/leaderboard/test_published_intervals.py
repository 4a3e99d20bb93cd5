"""Every interval in the committed leaderboards (leaderboard/*.csv) contains its point estimate."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

BOARDS = sorted((Path(__file__).resolve().parents[2] / "leaderboard").glob("*.csv"))


def _number(text) -> float:
    """The cell as a float; an empty cell is missing (NaN), ``inf`` stays infinite."""
    return float(text) if isinstance(text, str) and text.strip() else float("nan")


@pytest.mark.parametrize("board", BOARDS, ids=lambda p: p.name)
def test_every_published_interval_covers_its_value(board: Path) -> None:
    table = pd.read_csv(board, dtype=str, keep_default_na=False)
    metrics = [c[: -len("_ci_low")] for c in table.columns if c.endswith("_ci_low")]
    assert metrics, f"{board.name} has no interval columns"
    bad = []
    for _, row in table.iterrows():
        for name in metrics:
            cells = (name, f"{name}_ci_low", f"{name}_ci_high")
            value, low, high = (_number(row[c]) for c in cells)
            if any(math.isnan(v) for v in (value, low, high)):
                continue  # not computed: missing, nothing to cover
            if not low <= value <= high:
                where = f"{row['task']} {row['inverter']} {name}"
                bad.append(f"{where}: {value} not in [{low}, {high}]")
    assert not bad, "\n".join(bad)


def test_there_are_boards_to_check() -> None:
    assert len(BOARDS) >= 3
