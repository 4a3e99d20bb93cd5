"""``invbench targets build NAME...``: rebuild or ``--verify`` a shipped target set.

The command itself is :data:`invbench.targets.builders.command.build_command`: the builders'
``python -m`` mains run it too, and they sit below the CLI, so it cannot live here. This module
is where the CLI takes it up, into the ``targets`` group.
"""

from __future__ import annotations

import click

from invbench.targets.builders.command import build_command as targets_build_command


@click.group("targets")
def targets_command() -> None:
    """Target sets: rebuild and verify the shipped ones."""


targets_command.add_command(targets_build_command)
