"""``invbench evaluate``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from invbench.api.entry import evaluate
from invbench.api.resolve import parse_shard
from invbench.cli.leaderboard_files import known_families, write_leaderboard
from invbench.cli.preflight import check_evaluate_options
from invbench.contracts.errors import InvbenchError
from invbench.plugins.inverter_factory import parse_inverter_options
from invbench.plugins.registry import load_python_file

__all__ = ["evaluate_command", "parse_leaderboard_target", "parse_shard", "write_leaderboard"]


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def parse_leaderboard_target(value: str) -> tuple[list[str], Path]:
    """``PATH`` (every family) or ``FAMILY[,FAMILY]=PATH`` (only those families' tasks)."""
    families, sep, path = value.rpartition("=")
    if not sep:
        return [], Path(value)
    names = _split(families)
    if not names or not path:
        raise InvbenchError(f"--leaderboard {value!r} must be PATH or FAMILY[,FAMILY]=PATH")
    return known_families(",".join(names)) or [], Path(path)


@click.command("evaluate")
@click.option("--suite", default=None, help="Suite to run (default: mini, unless --tasks).")
@click.option("--tasks", default=None, help="Comma-separated tasks: family/name[@version].")
@click.option("--inverters", default=None,
              help="Comma-separated inverters (default: every built-in one).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="First N targets of each task (default: the task's default subset).")
@click.option("--seeds", default=None, help="Comma-separated seeds (default: the task's).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Targets per inverter call (default: the task's).")
@click.option("--device", default="cpu", show_default=True, help="torch device.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Run folder (default: runs/<suite>). An existing run is resumed.")
@click.option("--overwrite", is_flag=True, help="Recompute items that are already complete.")
@click.option("--shard", default=None, help="Run slice i of N (1-based), e.g. 2/4.")
@click.option("--include-path", "include_paths", multiple=True,
              type=click.Path(path_type=Path), help="Extra folder of task YAMLs (and targets/).")
@click.option("--inverter-path", "inverter_paths", multiple=True,
              type=click.Path(path_type=Path), help="Python file that registers inverters.")
@click.option("--inverter-option", "inverter_options", multiple=True, metavar="NAME:KEY=VALUE",
              help="Override an inverter setting, e.g. waveform-adam:steps=50.")
@click.option("--leaderboard", "leaderboard_csvs", multiple=True, metavar="[FAMILIES=]PATH",
              help="Also write a leaderboard CSV here, optionally of some task families only, "
                   "e.g. captioner=leaderboard/mini-image.csv (repeatable; <out>/leaderboard.csv "
                   "is always written).")
@click.option("--wait-for-lock", is_flag=True,
              help="If another process is running in --out, wait for it to finish (default: "
                   "stop with an error).")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def evaluate_command(suite, tasks, inverters, limit, seeds, batch_size, device, out, overwrite,
                     shard, include_paths, inverter_paths, inverter_options, leaderboard_csvs,
                     wait_for_lock, no_progress) -> None:
    """Run inverters on tasks, score them, and write records and a leaderboard.

    With no arguments: the `mini` suite, every built-in inverter, each task's default budget
    and target subset, into runs/mini. Re-running the same command resumes: completed items
    are never recomputed (unless --overwrite). One process at a time may run in a run folder.
    """
    check_evaluate_options(out, device)  # --device and --out, before anything loads
    for path in inverter_paths:
        load_python_file(path)
    extra_leaderboards = [parse_leaderboard_target(v) for v in leaderboard_csvs]
    results = evaluate(
        tasks=_split(tasks) or None, inverters=_split(inverters) or None, suite=suite,
        limit=limit, seeds=seeds, batch_size=batch_size,
        device=device, out=out, overwrite=overwrite, shard=shard, include_path=include_paths,
        inverter_options=parse_inverter_options(list(inverter_options)),
        wait_for_lock=wait_for_lock,
        progress=not no_progress, log=lambda msg: click.echo(msg, err=True),
        command_line=["invbench", *sys.argv[1:]],
    )  # fmt: skip
    write_leaderboard([results.run_dir], results.run_dir / "leaderboard.csv")
    for families, path in extra_leaderboards:
        write_leaderboard([results.run_dir], path, echo=False, families=families)
        which = f" ({', '.join(families)} tasks)" if families else ""
        click.echo(f"leaderboard{which} also written to {path}")
