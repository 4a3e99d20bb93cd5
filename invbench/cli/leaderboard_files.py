"""Writing a leaderboard's three files (CSV, Markdown, HTML) from run folders, for `evaluate`
and `leaderboard`, with the two refusals that keep a published table safe: an unknown family
name, and an empty table written over one that has rows (a typo would otherwise wipe it)."""

from __future__ import annotations

from pathlib import Path

import click

from invbench.api.results import leaderboard_of
from invbench.contracts.errors import InvbenchError
from invbench.leaderboard import to_csv, to_html, to_markdown
from invbench.plugins.catalog import FAMILIES


def known_families(families: str | None) -> list[str] | None:
    """The comma-separated ``--families``, each a registered family ("did you mean" if not)."""
    names = [f.strip() for f in families.split(",") if f.strip()] if families else None
    for name in names or []:
        if name not in FAMILIES:
            raise InvbenchError(f"--families: {FAMILIES.unknown_message(name)}")
    return names


def write_leaderboard(run_dirs: list[Path], csv_path: Path, echo: bool = True,
                      families: list[str] | None = None) -> None:
    """CSV at ``csv_path`` plus ``.md`` and ``.html`` beside it (optionally some families).

    Each file is written atomically; an existing CSV with rows is never replaced by an empty
    table (exit 2, the file untouched)."""
    table = leaderboard_of(run_dirs, families)
    if table.empty and _has_rows(csv_path):
        which = f" of families {', '.join(families)}" if families else ""
        raise InvbenchError(f"{csv_path} holds a leaderboard, but {', '.join(map(str, run_dirs))} "
                            f"have no records{which}; refusing to overwrite it with an empty one")
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    to_csv(table, csv_path)
    markdown = to_markdown(table, csv_path.with_suffix(".md"))
    to_html(table, csv_path.with_suffix(".html"))
    if echo:
        click.echo(markdown)
        click.echo(f"leaderboard written to {csv_path} (+ .md, .html)")


def _has_rows(csv_path: Path) -> bool:
    """Whether ``csv_path`` exists with at least one line after its header."""
    if not csv_path.is_file():
        return False
    with csv_path.open(encoding="utf-8", errors="replace") as handle:
        return sum(1 for line, _ in zip(handle, range(2), strict=False) if line.strip()) > 1
