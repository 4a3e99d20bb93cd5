"""What the mini-zoo training recipes share: settings, learning-rate schedule, output folder.

A recipe module defines ``SETTINGS`` (the defaults that reproduce the shipped weights), ``QUICK``
(a few tiny steps, for tests), an architecture config dataclass with ``to_dict``/``from_dict``,
and ``train(out_dir, seed, name, minutes, quick, **overrides)``; these helpers and the shared
loop (:mod:`invbench.recipes.training_loop`) do the rest. ``invbench zoo train NAME`` is the
command line of every recipe.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path
from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.fs.shipped import resource_dir


def resolve_settings(
    defaults: dict[str, Any], quick_settings: dict[str, Any], config_cls: Any, quick: bool,
    overrides: dict[str, Any],
) -> tuple[dict[str, Any], Any]:
    """``(settings, config)``: the defaults, the quick ones if ``quick``, then ``overrides``,
    which may name settings or fields of ``config_cls``; an unknown name is an error."""
    config_fields = set(config_cls().to_dict())
    unknown = set(overrides) - config_fields - set(defaults)
    if unknown:
        raise InvbenchError(f"unknown training settings {sorted(unknown)} (known: "
                            f"{', '.join(sorted(config_fields | set(defaults)))})")
    settings = {**defaults, **(quick_settings if quick else {})}
    settings.update({k: v for k, v in overrides.items() if k not in config_fields})
    config = config_cls.from_dict({k: v for k, v in overrides.items() if k in config_fields})
    return settings, config


def output_folder(out_dir: Path | None, name: str, quick: bool) -> Path:
    """``out_dir``, else a temporary folder for quick runs, else ``data/models/<name>``."""
    if out_dir is not None:
        return Path(out_dir)
    if quick:
        return Path(tempfile.mkdtemp(prefix=f"{name}-quick-"))
    return resource_dir("data") / "models" / name


def learning_rate(step: int, s: dict[str, Any]) -> float:
    """Linear warmup to ``lr``, then cosine decay to ``min_lr`` at the last step."""
    if step < s["warmup_steps"]:
        return s["lr"] * (step + 1) / s["warmup_steps"]
    progress = (step - s["warmup_steps"]) / max(1, s["steps"] - s["warmup_steps"])
    return s["min_lr"] + 0.5 * (s["lr"] - s["min_lr"]) * (1 + math.cos(math.pi * progress))


def recipe_record(
    name: str, module: str, seed: int, data_seed: int, quick: bool, minutes: float | None,
    settings: dict[str, Any], config: Any,
) -> dict[str, Any]:
    """The manifest's ``recipe``: the command and everything that reproduces the weights."""
    from invbench.recipes.catalog import recipe_command

    return {
        "command": recipe_command(name),
        "module": module,
        "seed": seed,
        "data_seed": data_seed,
        "quick": quick,
        "minutes": minutes,
        "settings": {**settings, "config": config.to_dict()},
    }


def override_dataclass(settings: Any, overrides: dict[str, Any]) -> Any:
    """``settings`` (a dataclass instance) with ``overrides`` replaced; an unknown name is an
    error."""
    known = {f.name for f in dataclasses.fields(settings)}
    unknown = set(overrides) - known
    if unknown:
        raise InvbenchError(f"unknown training settings {sorted(unknown)} (known: "
                            f"{', '.join(sorted(known))})")
    return dataclasses.replace(settings, **overrides)
