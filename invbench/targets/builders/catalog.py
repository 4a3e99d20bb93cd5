"""The shipped target sets' builders, by set name: ``invbench targets build NAME`` runs them.

A builder module defines a :class:`SetBuilder` per set it makes; the table below names them
lazily (``"module:attr"``), so listing or building one set imports no other builder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from invbench.plugins.registry import Registry

DEFAULT_ROOT = Path("data/targets")  # relative: the builders run from a checkout's root


@dataclass(frozen=True)
class SetBuilder:
    """How set ``name`` is made: ``build(out, **options)`` writes it into ``out`` and returns
    its manifest; ``verify(root)`` re-runs the recipe and returns the files under ``root``
    (relative paths) that differ from it. ``options`` names the flags ``build`` takes,
    ``needs`` the programs that must be on PATH."""

    name: str
    build: Callable[..., dict[str, Any]]
    verify: Callable[[Path], list[str]]
    options: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


def build_command_line(name: str, *flags: str) -> str:
    """The command that rebuilds set ``name``, as its manifest records it."""
    return " ".join(("invbench targets build", name, *flags))


BUILDERS: Registry[SetBuilder] = Registry("target set")
for _name, _attr in (
    ("captions-mini", "captions_mini:BUILDER"),
    ("images-mini", "images_mini:BUILDER"),
    ("clips-mini", "clips_mini:BUILDER"),
    ("transcripts-mini", "transcripts_mini:BUILDER"),
    ("captions-paper", "paper_texts:CAPTIONS_PAPER"),
    ("sentences-paper", "paper_texts:SENTENCES_PAPER"),
):
    BUILDERS.add(_name, f"invbench.targets.builders.{_attr}")
