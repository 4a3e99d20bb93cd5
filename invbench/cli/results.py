"""``invbench leaderboard`` and ``invbench compare``: read run folders, never recompute."""

from __future__ import annotations

import math
from pathlib import Path

import click

from invbench.cli.leaderboard_files import known_families, write_leaderboard
from invbench.contracts.errors import InvbenchError
from invbench.leaderboard import CompareReport, compare_runs
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
    write_leaderboard(list(run_dirs), csv_path, families=known_families(families))


def _tolerance(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """A regression margin is a finite number >= 0 (one line, exit 2, never a traceback)."""
    if not (math.isfinite(value) and value >= 0):
        raise InvbenchError(f"--tolerance must be a finite number >= 0, got {value!r}")
    return value


def _exit_status(report: CompareReport, base: Path, candidate: Path,
                 allow_incomparable: bool) -> int:  # fmt: skip
    """1 regression, 2 nothing compared / versions differ / refusals, else 0."""
    if report.has_regression:
        return 1
    if report.version_mismatches and not allow_incomparable:
        task, inverter, base_v, cand_v = report.version_mismatches[0]
        raise InvbenchError(f"task versions differ: {task} ({inverter}) v{base_v} in {base}, "
                            f"v{cand_v} in {candidate}; nothing was compared for it")  # fmt: skip
    if report.n_compared == 0:
        why = "; ".join(sorted({r.reason or r.status for r in report.rows})) or (
            "no (task, version, inverter) row is in both runs")
        raise InvbenchError(f"nothing was compared between {base} and {candidate}: {why}")
    if report.has_incomparable and not allow_incomparable:
        return 2
    click.echo(f"compared {report.n_compared} metric(s), no regression")
    return 0


@click.command("compare")
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("candidate", type=click.Path(path_type=Path), required=False)
@click.option("--metrics", default=None,
              help="Comma-separated outputs to compare (default: each task's main scores); "
                   "cost_seconds, cost_forward_calls, ... compare mean cost.")
@click.option("--tolerance", type=float, default=0.0, show_default=True, callback=_tolerance,
              help="A regression must be worse than this, beyond the CI.")
@click.option("--resamples", type=click.IntRange(min=100), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--allow-incomparable", is_flag=True,
              help="Do not fail when some rows cannot be compared (changed signature/targets).")
@click.option("--baseline-inverter", default=None,
              help="Compare this inverter's rows (in BASE) ...")
@click.option("--candidate-inverter", default=None,
              help="... against this one's (in CANDIDATE, or in BASE when CANDIDATE is omitted).")
def compare_command(base, candidate, metrics, tolerance, resamples, seed,
                    allow_incomparable, baseline_inverter, candidate_inverter) -> int:
    """Paired bootstrap of CANDIDATE against BASE run folders on matched targets.

    With --baseline-inverter A --candidate-inverter B, inverter B is compared against inverter A
    (CANDIDATE may then be omitted: both come from BASE).

    Exit status: 0 no significant regression (the number of comparisons is printed); 1 a
    significant regression beyond --tolerance; 2 nothing compared, task versions differ, an
    unknown metric or inverter, or rows that cannot be compared (different metric signatures
    or target sets).
    """
    if candidate is None and baseline_inverter is None and candidate_inverter is None:
        raise InvbenchError("compare needs a CANDIDATE run folder, or --baseline-inverter and "
                            "--candidate-inverter to compare two inverters of BASE")  # fmt: skip
    candidate = base if candidate is None else candidate
    names = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    report = compare_runs(read_runs([base]), read_runs([candidate]), metrics=names,
                          tolerance=tolerance, resamples=resamples, seed=seed,
                          base_inverter=baseline_inverter,
                          cand_inverter=candidate_inverter)  # fmt: skip
    click.echo(report.to_text())
    return _exit_status(report, base, candidate, allow_incomparable)
