"""``invbench leaderboard`` and ``invbench compare``: read run folders, never recompute."""

from __future__ import annotations

from pathlib import Path

import click

from invbench.api.results import leaderboard_of
from invbench.cli.evaluate import write_leaderboard
from invbench.contracts.errors import InvbenchError
from invbench.leaderboard import compare_runs
from invbench.plugins.catalog import FAMILIES
from invbench.store.run_store import read_runs


@click.command("leaderboard")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), required=True,
              help="Where to write the CSV (.md and .html are written beside it).")
@click.option("--families", default=None,
              help="Only tasks of these comma-separated families, e.g. captioner,generator.")
def leaderboard_command(run_dirs, csv_path, families) -> None:
    """Merge run folders (e.g. shards) into one leaderboard: CSV, Markdown and HTML.

    Each row is (task, version, inverter, config hash) with N, coverage, each metric's mean and
    95% bootstrap CI over targets, cost, and the metric signatures.
    """
    names = known_families(families)
    refuse_empty_overwrite(list(run_dirs), csv_path, names)
    write_leaderboard(list(run_dirs), csv_path, families=names)


def known_families(families: str | None) -> list[str] | None:
    """The comma-separated ``--families``, each a registered family ("did you mean" if not)."""
    names = [f.strip() for f in families.split(",") if f.strip()] if families else None
    for name in names or []:
        if name not in FAMILIES:
            raise InvbenchError(f"--families: {FAMILIES.unknown_message(name)}")
    return names


def refuse_empty_overwrite(run_dirs: list[Path], csv_path: Path,
                           families: list[str] | None) -> None:
    """Refuse to replace a leaderboard that has rows with one that has none (a wrong run
    folder or family would otherwise wipe a published table)."""
    if not _has_rows(csv_path) or not leaderboard_of(run_dirs, families).empty:
        return
    which = f" of families {', '.join(families)}" if families else ""
    raise InvbenchError(f"{csv_path} holds a leaderboard, but {', '.join(map(str, run_dirs))} "
                        f"have no records{which}; refusing to overwrite it with an empty one")


def _has_rows(csv_path: Path) -> bool:
    """Whether ``csv_path`` exists with at least one line after its header."""
    if not csv_path.is_file():
        return False
    with csv_path.open(encoding="utf-8", errors="replace") as handle:
        return sum(1 for line, _ in zip(handle, range(2), strict=False) if line.strip()) > 1


@click.command("compare")
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("candidate", type=click.Path(path_type=Path))
@click.option("--metrics", default=None,
              help="Comma-separated outputs to compare (default: each task's main scores).")
@click.option("--tolerance", type=float, default=0.0, show_default=True,
              help="A regression must be worse than this, beyond the CI.")
@click.option("--resamples", type=click.IntRange(min=100), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--allow-incomparable", is_flag=True,
              help="Do not fail when some rows cannot be compared (changed signature/targets).")
def compare_command(base, candidate, metrics, tolerance, resamples, seed,
                    allow_incomparable) -> int:
    """Paired bootstrap of CANDIDATE against BASE run folders on matched targets.

    Exit status: 0 no significant regression; 1 a significant regression beyond --tolerance;
    2 rows that cannot be compared (different metric signatures or target sets).
    """
    names = [m.strip() for m in metrics.split(",")] if metrics else None
    report = compare_runs(read_runs([base]), read_runs([candidate]), metrics=names,
                          tolerance=tolerance, resamples=resamples, seed=seed)
    click.echo(report.to_text())
    if report.has_regression:
        return 1
    if report.has_incomparable and not allow_incomparable:
        return 2
    return 0
