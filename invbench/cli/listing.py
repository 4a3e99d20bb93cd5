"""``invbench tasks | inverters | metrics | models``: what is available, as tables, each plug-in
with where it came from (built-in, an entry point's distribution and version, a file)."""

from __future__ import annotations

from pathlib import Path

import click
from tabulate import tabulate

from invbench.contracts.errors import InvbenchError
from invbench.plugins.catalog import INVERTERS, METRICS, MODELS
from invbench.plugins.registry import Registry, load_python_file
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


def _summary(entry: object) -> str:
    """The first line of an entry's description (or docstring)."""
    text = getattr(entry, "description", "") or (getattr(entry, "__doc__", "") or "").strip()
    return str(text).splitlines()[0] if text else ""


def _origin(registry: Registry, name: str) -> str:
    try:
        return registry.provenance(name).describe()
    except InvbenchError as exc:  # e.g. two packages claim the name: say so in the row
        return f"conflict: {exc}"


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
            version, description = getattr(entry, "version", "?"), _summary(entry)
        except Exception as exc:  # one broken plug-in must not hide the others
            families, oracle, version, description = "?", "", "?", f"cannot load: {exc}"
        rows.append([name, version, families, oracle, description, _origin(INVERTERS, name)])
    click.echo(tabulate(rows, headers=["inverter", "version", "families", "oracle",
                                       "description", "origin"]))


@click.command("metrics")
def metrics_command() -> None:
    """List metrics: outputs (↑ higher is better, ↓ lower), reference library, signature."""
    rows = []
    for name in METRICS.names():
        try:
            metric = METRICS.get(name)()
            outputs = ", ".join(f"{o.name} {'↑' if o.higher_is_better else '↓'}"
                                for o in metric.outputs)
            row = [outputs, metric.reference, metric.description, metric.signature()]
        except Exception as exc:  # one broken plug-in must not hide the others
            row = ["?", "", f"cannot load: {exc}", ""]
        rows.append([name, *row, _origin(METRICS, name)])
    click.echo(tabulate(rows, headers=["metric", "outputs", "reference", "description",
                                       "signature", "origin"]))


@click.command("models")
def models_command() -> None:
    """List forward models and judges: where each came from, what it names (nothing is loaded)."""
    rows = []
    for name in MODELS.names():
        origin = _origin(MODELS, name)
        # a built-in's origin says only "built-in": name the factory too
        factory = MODELS.origin(name) if origin == "built-in" else ""
        rows.append([name, origin, factory])
    click.echo(tabulate(rows, headers=["model", "origin", "factory"]))
