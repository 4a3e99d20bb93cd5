"""``invbench zoo list | train NAME``: the mini zoo's shipped models and how to reproduce them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate


@click.group("zoo")
def zoo_command() -> None:
    """The mini zoo: small models invbench trains on its synthetic worlds and ships."""


@zoo_command.command("list")
def zoo_list() -> None:
    """Each zoo model: its recipe, shipped weights hash, size and recorded quality."""
    from invbench.models.zoo.manifest import read_zoo_manifest
    from invbench.models.zoo.weights import MANIFEST_FILE, zoo_dir
    from invbench.recipes.catalog import ZOO

    rows = []
    for name in ZOO.names():
        manifest_path = zoo_dir() / name / MANIFEST_FILE
        if manifest_path.is_file():
            manifest = read_zoo_manifest(manifest_path)  # a bad file is one line naming it
            sha = manifest.weights_sha256[:12]
            size = f"{manifest.bytes / 2**20:.1f} MiB" if manifest.bytes is not None else ""
            headline = [(k, v) for k, v in manifest.quality.items() if isinstance(v, float)]
            quality = f"{headline[0][0]}={headline[0][1]:.3f}" if headline else ""
            seconds = manifest.training.get("seconds")
            minutes = f"{seconds / 60:.1f}" if isinstance(seconds, (int, float)) else ""
        else:
            sha, size, quality, minutes = "(not shipped)", "", "", ""
        rows.append([name, sha, size, minutes, quality, ZOO.get(name).description])
    click.echo(tabulate(rows, headers=["model", "sha256", "size", "train min", "quality",
                                       "description"]))


_OWN_OPTIONS = ("seed", "name", "minutes", "quick", "out_dir")


def _overrides(items: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=JSON`` pairs as a dict; a malformed one is named."""
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if key in _OWN_OPTIONS:
            raise click.BadParameter(f"{key!r} has its own option (--{key.replace('_', '-')})",
                                     param_hint="--set")
        try:
            if not sep or not key:
                raise ValueError("no KEY=")
            overrides[key] = json.loads(value)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not KEY=JSON (e.g. steps=500)",
                                     param_hint="--set") from None
    return overrides


@zoo_command.command("train")
@click.argument("name")
@click.option("--out", "--out-dir", "out", type=click.Path(path_type=Path), default=None,
              help="Folder to write to (default: data/models/NAME, replacing the shipped one; "
                   "with --quick, a temporary folder).")
@click.option("--seed", type=int, default=None, help="Override the recipe's recorded seed.")
@click.option("--name", "model_name", default=None,
              help="Name written into the manifest (default: the recipe's, e.g. NAME).")
@click.option("--minutes", type=float, default=None,
              help="Cap the wall time (the run stops early and is not reproducible).")
@click.option("--quick", is_flag=True, help="A few tiny steps (for tests and smoke checks).")
@click.option("--set", "settings", multiple=True, metavar="KEY=JSON",
              help="Override a training setting or architecture field, e.g. --set steps=500.")
def zoo_train(name: str, out: Path | None, seed: int | None, model_name: str | None,
              minutes: float | None, quick: bool, settings: tuple[str, ...]) -> None:
    """Reproduce zoo model NAME with its recorded recipe and seed (2 CPU cores: minutes).

    Prints the quality reached; compare it with the shipped manifest (`invbench zoo list`).
    """
    from invbench.plugins.registry import resolve_lazy
    from invbench.recipes.catalog import ZOO

    recipe = ZOO.get(name)
    kwargs: dict[str, Any] = {**recipe.kwargs, **_overrides(settings)}
    if seed is not None:
        kwargs["seed"] = seed
    if model_name is not None:
        kwargs["name"] = model_name
    if minutes is not None:
        kwargs["minutes"] = minutes
    manifest = resolve_lazy(recipe.recipe)(out_dir=out, quick=quick, **kwargs)
    click.echo(json.dumps({"name": kwargs["name"], "quality": manifest["quality"],
                           "seconds": manifest["training"]["seconds"]}, indent=2))
