"""The mini zoo: which recipe trains which model, and how a trained model is written.

``invbench zoo train NAME`` runs ``ZOO.get(NAME)``: a lazy ``"module:function"`` recipe and the
keyword arguments (seed first) that reproduce the shipped weights. A recipe trains, measures the
model's quality on held-out data, and calls :func:`save_zoo_model`, which writes
``model.safetensors`` and a ``manifest.json`` (validated as a
:class:`~invbench.models.zoo.manifest.ZooManifest` before it is written) recording the sha256,
the recipe command and seeds, the quality reached and what the training cost.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from invbench.fs.atomic import atomic_write_bytes, sha256_file
from invbench.fs.typed_json import validate_as
from invbench.models.zoo.manifest import MANIFEST_FILE, WEIGHTS_FILE, ZooManifest
from invbench.plugins.registry import Registry


@dataclass(frozen=True)
class ZooRecipe:
    """How zoo model ``name`` is trained: ``recipe(out_dir=..., **kwargs)``."""

    name: str
    recipe: str  # "module:function", imported only when the model is trained
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""


ZOO: Registry[ZooRecipe] = Registry("zoo model")
for _entry in (
    ZooRecipe(
        "captioner",
        "invbench.recipes.captioner:train",
        {"seed": 0, "name": "captioner"},
        "Shapes-world captioner under inversion (image -> caption)",
    ),
    ZooRecipe(
        "captioner-judge",
        "invbench.recipes.captioner:train",
        {"seed": 1, "name": "captioner-judge"},
        "Independent second captioner (other seed): the transfer judge",
    ),
    ZooRecipe(
        "mini-clip",
        "invbench.recipes.mini_clip:train",
        {"seed": 0, "name": "mini-clip"},
        "Image encoder aligned to frozen MiniLM sentence embeddings (CLIP score, FID/KID features)",
    ),
    ZooRecipe(
        "mini-clip-judge",
        "invbench.recipes.mini_clip:train",
        {"seed": 1, "name": "mini-clip-judge"},
        "Independent second mini-CLIP (other seed: initialisation and data order): the "
        "image-text consistency judge, never optimised against",
    ),
    ZooRecipe(
        "generator",
        "invbench.recipes.generator:train",
        {"seed": 0, "name": "generator"},
        "Text-to-image rectified flow on frozen MiniLM token states (prompt -> image)",
    ),
    ZooRecipe(
        "tts",
        "invbench.recipes.tts:train",
        {"seed": 0, "name": "tts"},
        "Text-to-speech on frozen MiniLM token-table rows, trained on espeak-ng speech "
        "(prompt -> 16 kHz audio)",
    ),
):
    ZOO.add(_entry.name, _entry)


def save_zoo_model(
    out_dir: Path,
    *,
    name: str,
    architecture: str,
    config: dict[str, Any],
    state_dict: dict[str, torch.Tensor],
    recipe: dict[str, Any],
    quality: dict[str, Any],
    training: dict[str, Any],
) -> dict[str, Any]:
    """Write weights (safetensors) and the manifest under ``out_dir``; return the manifest."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / WEIGHTS_FILE
    tmp = out_dir / f".{WEIGHTS_FILE}.tmp"
    save_file({k: v.detach().contiguous().cpu() for k, v in state_dict.items()}, str(tmp))
    os.chmod(tmp, 0o644)  # safetensors writes 0600; shipped weights are world-readable
    os.replace(tmp, weights)
    manifest = {
        "name": name,
        "architecture": architecture,
        "config": config,
        "files": {WEIGHTS_FILE: sha256_file(weights)},
        "bytes": weights.stat().st_size,
        "parameters": int(sum(v.numel() for v in state_dict.values())),
        "recipe": recipe,
        "quality": quality,
        "training": {
            **training,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
            "machine": platform.machine(),
        },
    }
    # validated before it is written: a recipe cannot ship a manifest the loader would refuse.
    # The bytes are json.dumps of the dict, as ever (ZooManifest.to_json gives the same text
    # for every finite value, but would write a NaN quality as null).
    validate_as(ZooManifest, manifest, str(out_dir / MANIFEST_FILE))
    atomic_write_bytes(out_dir / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest


def recipe_command(name: str) -> str:
    """The command that reproduces a zoo model, as recorded in its manifest."""
    return f"invbench zoo train {name}"
