"""Metric cards: the YAML write-up of each registered metric (definition, range, references).

A card lives at ``metrics/<name>.yaml`` at the repository root (a source checkout), or under
``invbench/_assets/metrics/`` inside an installed wheel. Its keys are ``name``, ``outputs`` (each
with ``name``, ``higher_is_better`` and ``range``), ``definition``, ``signature_fields``,
``reference_implementation``, ``references`` and ``caveats``.

Example:
    >>> from invbench.metrics.cards import list_cards, load_card
    >>> "wer" in list_cards()
    True
    >>> load_card("wer")["outputs"][0]["higher_is_better"]
    False
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from invbench.contracts.errors import InvbenchError, UnknownNameError
from invbench.plugins.registry import unknown_name_message

REQUIRED_KEYS = (
    "name",
    "outputs",
    "definition",
    "signature_fields",
    "reference_implementation",
    "references",
    "caveats",
)


def cards_dir() -> Path:
    """The folder holding the cards: the source checkout's first, then the wheel's assets."""
    package = Path(__file__).resolve().parents[1]  # invbench/, without importing its API
    for candidate in (package.parent / "metrics", package / "_assets" / "metrics"):
        if candidate.is_dir():
            return candidate
    raise InvbenchError(
        f"no metric cards found (looked in {package.parent / 'metrics'} and "
        f"{package / '_assets' / 'metrics'})"
    )


def list_cards() -> list[str]:
    """Names of all metric cards, sorted."""
    return sorted(path.stem for path in cards_dir().glob("*.yaml"))


@cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        card = yaml.safe_load(handle)
    if not isinstance(card, dict):
        raise InvbenchError(f"metric card {path} is not a YAML mapping")
    missing = [key for key in REQUIRED_KEYS if key not in card]
    if missing:
        raise InvbenchError(f"metric card {path} lacks keys {missing}")
    if card["name"] != path.stem:
        raise InvbenchError(f"metric card {path} is named {card['name']!r}, not {path.stem!r}")
    for output in card["outputs"]:
        low, high = output["range"]
        output["range"] = [float(low), float(high)]
    return card


def load_card(name: str) -> dict[str, Any]:
    """The card of metric ``name`` as a dict (a fresh deep copy on every call)."""
    path = cards_dir() / f"{name}.yaml"
    if not path.is_file():
        raise UnknownNameError(unknown_name_message("metric card", name, list_cards()))
    return copy.deepcopy(_load(path))
