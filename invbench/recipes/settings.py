"""What the mini-zoo training recipes share: settings, schedule, output folder, command line.

A recipe module defines ``SETTINGS`` (the defaults that reproduce the shipped weights), ``QUICK``
(a few tiny steps, for tests), an architecture config dataclass with ``to_dict``/``from_dict``,
and ``train(out_dir, seed, name, minutes, quick, **overrides)``; these helpers do the rest.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from invbench.fs.shipped import resource_dir


def resolve_settings(
    defaults: dict[str, Any], quick_settings: dict[str, Any], config_cls: Any, quick: bool,
    overrides: dict[str, Any],
) -> tuple[dict[str, Any], Any]:
    """``(settings, config)``: the defaults, the quick ones if ``quick``, then ``overrides``,
    which may name settings or fields of ``config_cls``; an unknown name is a ``TypeError``."""
    config_fields = set(config_cls().to_dict())
    unknown = set(overrides) - config_fields - set(defaults)
    if unknown:
        raise TypeError(f"unknown training settings {sorted(unknown)}")
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


def optimiser_step(
    optimizer: torch.optim.Optimizer, net: torch.nn.Module, loss: torch.Tensor, step: int,
    settings: dict[str, Any],
) -> None:
    """One step at the scheduled learning rate, the gradient norm clipped to ``grad_clip``."""
    for group in optimizer.param_groups:
        group["lr"] = learning_rate(step, settings)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), settings["grad_clip"])
    optimizer.step()


def ema_update(ema: torch.nn.Module, net: torch.nn.Module, step: int, decay: float) -> None:
    """Move the averaged weights toward the trained ones (the decay warms up over early steps,
    so the average does not remember the initialisation)."""
    with torch.no_grad():
        rate = min(decay, (step + 1) / (step + 10))
        for e, p in zip(ema.parameters(), net.parameters(), strict=True):
            e.lerp_(p, 1 - rate)


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


def recipe_main(
    train: Callable[..., dict[str, Any]], description: str, default_name: str,
    argv: list[str] | None = None,
) -> None:
    """The command line of a recipe: seed, name, output folder, time cap, quick mode, and
    ``--set KEY=JSON`` overrides; prints the manifest's quality and training summary."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default=default_name)
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=JSON", help="override a setting"
    )
    args = parser.parse_args(argv)
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    manifest = train(args.out_dir, args.seed, args.name, args.minutes, args.quick, **overrides)
    print(json.dumps({"quality": manifest["quality"], "training": manifest["training"]}))
