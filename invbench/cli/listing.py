"""``invbench tasks | inverters | metrics``: what is available, as tables."""

from __future__ import annotations

from pathlib import Path

import click
from tabulate import tabulate

from invbench.plugins.catalog import INVERTERS, METRICS
from invbench.plugins.registry import load_python_file
from invbench.plugins.task_catalog import TaskCatalog


@click.command("tasks")
@click.option("--include-path", "include_paths", multiple=True, type=click.Path(path_type=Path),
              help="Extra folder of task YAMLs.")
@click.option("--all-versions", is_flag=True, help="List every version, not just the latest.")
def tasks_command(include_paths, all_versions) -> None:
    """List tasks: name, version, family, suite, model, main scores, description."""
    catalog = TaskCatalog(include_paths)
    specs = catalog.all_specs() if all_versions else catalog.all_latest()
    rows = [[s.name, s.version, s.family, s.suite, s.forward_model.id,
             ", ".join(f"{axis}: {name}" for axis, name in s.main_scores.items()),
             s.description] for s in specs]
    click.echo(tabulate(rows, headers=["task", "version", "family", "suite", "model",
                                       "main scores", "description"]))


@click.command("inverters")
@click.option("--inverter-path", "inverter_paths", multiple=True,
              type=click.Path(path_type=Path), help="Python file that registers inverters.")
def inverters_command(inverter_paths) -> None:
    """List inverters: built-in, from the `invbench.inverters` entry point, or --inverter-path."""
    for path in inverter_paths:
        load_python_file(path)
    rows = []
    for name in INVERTERS.names():
        try:
            entry = INVERTERS.get(name)
            families = ", ".join(getattr(entry, "families", ()))
            oracle = "yes" if getattr(entry, "oracle", False) else ""
            version = getattr(entry, "version", "?")
            description = getattr(entry, "description", "") or (entry.__doc__ or "").strip()
            description = description.splitlines()[0] if description else ""
        except Exception as exc:  # one broken plug-in must not hide the others
            families, oracle, version, description = "?", "", "?", f"cannot load: {exc}"
        rows.append([name, version, families, oracle, description, INVERTERS.origin(name)
                     if name in INVERTERS else ""])
    click.echo(tabulate(rows, headers=["inverter", "version", "families", "oracle",
                                       "description", "origin"]))


@click.command("metrics")
def metrics_command() -> None:
    """List metrics: outputs (↑ higher is better, ↓ lower), reference library, signature."""
    rows = []
    for name in METRICS.names():
        metric = METRICS.get(name)()
        outputs = ", ".join(f"{o.name} {'↑' if o.higher_is_better else '↓'}"
                            for o in metric.outputs)
        rows.append([name, outputs, metric.reference, metric.description, metric.signature()])
    click.echo(tabulate(rows, headers=["metric", "outputs", "reference", "description",
                                       "signature"]))
