"""``invbench prepare``: render the target sets a suite makes on the user's own GPU."""

from __future__ import annotations

from pathlib import Path

import click

from invbench.contracts.errors import InvbenchError
from invbench.harness.model_cache import ModelCache
from invbench.harness.requirements import require_assets
from invbench.plugins.task_catalog import TaskCatalog
from invbench.targets.preparation import prepare_task_targets


@click.command("prepare")
@click.option("--suite", default="paper", show_default=True, help="Suite whose targets to make.")
@click.option("--tasks", default=None, help="Only these tasks (comma-separated).")
@click.option("--device", default="cuda", show_default=True, help="torch device to render on.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Render only the first N texts (a partial set; for trials).")
@click.option("--include-path", "include_paths", multiple=True,
              type=click.Path(path_type=Path), help="Extra folder of task YAMLs (and targets/).")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def prepare_command(suite, tasks, device, limit, include_paths, no_progress) -> None:
    """Render each prepared target set of the suite with the real model (FLUX.1-dev draws the
    generator's target images, Chatterbox speaks the TTS's target clips) and freeze it with the
    sha256 of every file in <cache>/targets/. Interrupted renders resume where they stopped."""
    catalog = TaskCatalog(include_paths)
    specs = catalog.suite(suite)
    if tasks:
        wanted = {catalog.get(name).key for name in tasks.split(",") if name.strip()}
        specs = [s for s in specs if s.key in wanted]
    specs = [s for s in specs if s.targets.prepare is not None]
    if not specs:
        raise InvbenchError(f"suite {suite!r} has no task whose targets are prepared locally")
    # the renderers' weights must be there; the prepared sets themselves are what we make
    renderers = [s.model_copy(update={"targets": s.targets.prepare.source,
                                      "forward_model": s.targets.prepare.render_with,
                                      "judges": {}, "metrics": ["exact_match"]}) for s in specs]
    require_assets(renderers, catalog.target_dirs())
    models = ModelCache(device)  # a renderer two tasks share is loaded once
    for spec in specs:
        prepare_task_targets(spec, catalog.target_dirs(), models.get, limit=limit,
                             progress=not no_progress, log=lambda m: click.echo(m, err=True))
