"""``invbench targets``: work with target sets (``freeze`` a folder into a pinned set, ``build``
or ``--verify`` a shipped one)."""

from __future__ import annotations

from pathlib import Path

import click

from invbench.targets.builders.command import build_command
from invbench.targets.freeze import freeze_target_set


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@click.group("targets")
def targets_group() -> None:
    """Target sets: freeze a folder of targets into a set a task can pin; rebuild or verify the
    shipped ones."""


# defined beside the builders: their `python -m` mains run it too, and they sit below the CLI
targets_group.add_command(build_command)


@targets_group.command("freeze")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--name", default=None,
              help="Set name (default: the manifest's, else the folder's name; must match it).")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Set version (default: the manifest's).")
@click.option("--description", default=None, help="What the set holds (default: the manifest's).")
@click.option("--licence", default=None, help="Licence of the targets, e.g. CC0-1.0.")
def freeze_command(folder: Path, name: str | None, version: int | None,
                   description: str | None, licence: str | None) -> None:
    """Check FOLDER (targets.jsonl and the media it names), write its manifest.json with the
    sha256 of every file, and print the content_sha256 a task YAML pins.

    Re-run it after any change to the set's files: a changed set gets a new hash, and a task
    that pins the old one refuses it (publish a new task version instead).
    """
    frozen = freeze_target_set(folder, name=name, version=version, description=description,
                               licence=licence)
    click.echo(f"{frozen.name}@{frozen.version}: {_count(frozen.count, 'target')}, "
               f"{_count(frozen.files, 'file')}; wrote {frozen.root / 'manifest.json'}")
    click.echo("paste into the task YAML:")
    click.echo(frozen.yaml_snippet(), nl=False)
