"""``invbench zoo list | train NAME``: the mini zoo's shipped models and how to reproduce them."""

from __future__ import annotations

import json
from pathlib import Path

import click
from tabulate import tabulate


@click.group("zoo")
def zoo_command() -> None:
    """The mini zoo: small models invbench trains on its synthetic worlds and ships."""


@zoo_command.command("list")
def zoo_list() -> None:
    """Each zoo model: its recipe, shipped weights hash, size and recorded quality."""
    from invbench.models.zoo.weights import MANIFEST_FILE, zoo_dir
    from invbench.recipes.catalog import ZOO

    rows = []
    for name in ZOO.names():
        recipe = ZOO.get(name)
        manifest_path = zoo_dir() / name / MANIFEST_FILE
        if manifest_path.is_file():
            manifest = json.loads(manifest_path.read_text())
            sha = next(iter(manifest["files"].values()))[:12]
            size = f"{manifest['bytes'] / 2**20:.1f} MiB"
            headline = [(k, v) for k, v in manifest["quality"].items() if isinstance(v, float)]
            quality = f"{headline[0][0]}={headline[0][1]:.3f}" if headline else ""
            minutes = f"{manifest['training']['seconds'] / 60:.1f}"
        else:
            sha, size, quality, minutes = "(not shipped)", "", "", ""
        rows.append([name, sha, size, minutes, quality, recipe.description])
    click.echo(tabulate(rows, headers=["model", "sha256", "size", "train min", "quality",
                                       "description"]))


@zoo_command.command("train")
@click.argument("name")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Folder to write to (default: data/models/NAME, replacing the shipped one).")
@click.option("--seed", type=int, default=None, help="Override the recipe's recorded seed.")
def zoo_train(name: str, out: Path | None, seed: int | None) -> None:
    """Reproduce zoo model NAME with its recorded recipe and seed (2 CPU cores: minutes).

    Prints the quality reached; compare it with the shipped manifest (`invbench zoo list`).
    """
    from invbench.plugins.registry import resolve_lazy
    from invbench.recipes.catalog import ZOO

    recipe = ZOO.get(name)  # an unknown name: a one-line error with "did you mean"
    kwargs = dict(recipe.kwargs)
    if seed is not None:
        kwargs["seed"] = seed
    manifest = resolve_lazy(recipe.recipe)(out_dir=out, **kwargs)
    click.echo(json.dumps({"name": name, "quality": manifest["quality"],
                           "seconds": manifest["training"]["seconds"]}, indent=2))
