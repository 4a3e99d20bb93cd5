"""``invbench evaluate``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from invbench.contracts.errors import InvbenchError
from invbench.harness.evaluation import EvaluationPlan, evaluate
from invbench.leaderboard import build_leaderboard, to_csv, to_html, to_markdown
from invbench.plugins.catalog import INVERTERS
from invbench.plugins.inverter_factory import make_inverter, parse_inverter_options
from invbench.plugins.registry import load_python_file
from invbench.plugins.task_catalog import TaskCatalog
from invbench.store.run_store import read_runs


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    i, sep, n = value.partition("/")
    if not (sep and i.isdigit() and n.isdigit() and 1 <= int(i) <= int(n)):
        raise InvbenchError(f"--shard {value!r} must be i/N with 1 <= i <= N, e.g. 1/4")
    return int(i), int(n)


def parse_leaderboard_target(value: str) -> tuple[list[str], Path]:
    """``PATH`` (every family) or ``FAMILY[,FAMILY]=PATH`` (only those families' tasks)."""
    families, sep, path = value.rpartition("=")
    if not sep:
        return [], Path(value)
    names = _split(families)
    if not names or not path:
        raise InvbenchError(f"--leaderboard {value!r} must be PATH or FAMILY[,FAMILY]=PATH")
    return names, Path(path)


def write_leaderboard(run_dirs: list[Path], csv_path: Path, echo: bool = True,
                      families: list[str] | None = None) -> None:
    """CSV at ``csv_path`` plus ``.md`` and ``.html`` beside it (optionally some families)."""
    records = read_runs(run_dirs)
    if families:
        records = [r for r in records if r.task.split("/")[0] in families]
    table = build_leaderboard(records)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    to_csv(table, csv_path)
    markdown = to_markdown(table, csv_path.with_suffix(".md"))
    to_html(table, csv_path.with_suffix(".html"))
    if echo:
        click.echo(markdown)
        click.echo(f"leaderboard written to {csv_path} (+ .md, .html)")


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
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def evaluate_command(suite, tasks, inverters, limit, seeds, batch_size, device, out, overwrite,
                     shard, include_paths, inverter_paths, inverter_options, leaderboard_csvs,
                     no_progress) -> None:
    """Run inverters on tasks, score them, and write records and a leaderboard.

    With no arguments: the `mini` suite, every built-in inverter, each task's default budget
    and target subset, into runs/mini. Re-running the same command resumes: completed items
    are never recomputed (unless --overwrite).
    """
    for path in inverter_paths:
        load_python_file(path)
    catalog = TaskCatalog(include_paths)
    if tasks and suite:
        raise InvbenchError("give --tasks or --suite, not both")
    if tasks:
        specs = [catalog.get(name) for name in _split(tasks)]
    else:
        specs = catalog.suite(suite or "mini")
    extra_leaderboards = [parse_leaderboard_target(v) for v in leaderboard_csvs]
    options = parse_inverter_options(list(inverter_options))
    names = _split(inverters) or INVERTERS.builtin_names()
    for name in options:
        if name not in names:
            raise InvbenchError(f"--inverter-option names {name!r}, which is not being run")
    try:
        seed_list = [int(s) for s in _split(seeds)] or None
    except ValueError:
        raise InvbenchError(f"--seeds {seeds!r} must be comma-separated integers") from None
    plan = EvaluationPlan(
        tasks=specs,
        inverters=[make_inverter(name, options.get(name)) for name in names],
        target_dirs=catalog.target_dirs(),
        seeds=seed_list,
        limit=limit,
        batch_size=batch_size,
        device=device,
        shard=parse_shard(shard),
        overwrite=overwrite,
        explicit_inverters=bool(inverters),
    )
    out = out or Path("runs") / (suite or ("mini" if not tasks else "custom"))
    store = evaluate(plan, out, ["invbench", *sys.argv[1:]], progress=not no_progress,
                     log=lambda msg: click.echo(msg, err=True))
    write_leaderboard([store.root], store.root / "leaderboard.csv")
    for families, path in extra_leaderboards:
        write_leaderboard([store.root], path, echo=False, families=families)
        which = f" ({', '.join(families)} tasks)" if families else ""
        click.echo(f"leaderboard{which} also written to {path}")
