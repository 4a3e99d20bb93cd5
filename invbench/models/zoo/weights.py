"""Load a mini-zoo model's weights from ``data/models/<name>/``, safely and verified.

Each zoo model folder holds ``model.safetensors`` and ``manifest.json`` (written by
``invbench.recipes.catalog``; the model is :class:`invbench.models.zoo.manifest.ZooManifest`):
the architecture config, the sha256 of every file, the recipe command
and seeds that made it, and the quality it reached. Loading checks the hash before reading a
tensor and reads tensors with safetensors only (nothing is unpickled).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from invbench.contracts.errors import InvbenchError
from invbench.fs.atomic import sha256_file
from invbench.fs.shipped import resource_dir
from invbench.models.checkpoint_files import load_safetensors
from invbench.models.zoo.manifest import (
    MANIFEST_FILE,
    WEIGHTS_FILE,
    ZooManifest,
    read_zoo_manifest,
)

__all__ = ["MANIFEST_FILE", "WEIGHTS_FILE", "ZooNetwork", "ZooWeights", "load_zoo_weights",
           "model_folder", "zoo_dir"]


@dataclass
class ZooWeights:
    name: str
    state_dict: dict[str, torch.Tensor]
    config: dict[str, Any]
    manifest: ZooManifest

    @property
    def sha256(self) -> str:
        return self.manifest.weights_sha256


def zoo_dir() -> Path:
    return resource_dir("data") / "models"


def model_folder(name_or_path: str | Path) -> Path:
    """A zoo name (``captioner``) or a folder holding a manifest and weights."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    folder = zoo_dir() / str(name_or_path)
    if not folder.is_dir():
        known = sorted(p.name for p in zoo_dir().glob("*") if (p / MANIFEST_FILE).exists())
        raise InvbenchError(
            f"mini-zoo model {str(name_or_path)!r} not found under {zoo_dir()}; "
            f"available: {', '.join(known) or 'none'} (train one with `invbench zoo train NAME`)"
        )
    return folder


def load_zoo_weights(name_or_path: str | Path, architecture: str | None = None) -> ZooWeights:
    """Verify the manifest's sha256 of the weights (and, if given, that the manifest names
    ``architecture``), then load them with safetensors."""
    folder = model_folder(name_or_path)
    manifest_path = folder / MANIFEST_FILE
    weights_path = folder / WEIGHTS_FILE
    for path in (manifest_path, weights_path):
        if not path.is_file():
            raise InvbenchError(f"mini-zoo model folder {folder} lacks {path.name}")
    manifest = read_zoo_manifest(manifest_path)
    if architecture is not None and manifest.architecture != architecture:
        raise InvbenchError(
            f"mini-zoo model {str(name_or_path)!r} is a {manifest.architecture!r}, "
            f"not a {architecture!r}"
        )
    # only invbench's own zoo folder is rebuilt by a recipe; a user's folder is theirs to fix
    shipped = folder.resolve().parent == zoo_dir().resolve()
    remedy = f"retrain it with `invbench zoo train {manifest.name}`" if shipped else ""
    expected = manifest.weights_sha256
    actual = sha256_file(weights_path)
    if actual != expected:
        raise InvbenchError(
            f"{weights_path} has sha256 {actual[:12]}…, but its manifest records "
            f"{expected[:12]}…; the weights were changed or damaged" + (f" ({remedy})" * shipped)
        )
    state = load_safetensors(weights_path, remedy)
    return ZooWeights(manifest.name, state, manifest.config, manifest)


class ZooNetwork:
    """Mixin for forward models whose frozen network comes from the mini zoo: loads and
    verifies it, and reports its device, weights hash and manifest facts."""

    name: str
    manifest: ZooManifest
    net: torch.nn.Module

    def _load_network(
        self, name: str, architecture: str, build: Any, device: str, id_prefix: str
    ) -> ZooWeights:
        """``self.net = build(config)`` with the verified weights, frozen, in eval mode."""
        weights = load_zoo_weights(name, architecture)
        self.name = weights.name
        self.model_id = f"{id_prefix}:{self.name}"
        self.manifest = weights.manifest
        self._device = torch.device(device)
        self.net = build(weights.config)
        self.net.load_state_dict(weights.state_dict)
        self.net.to(self._device).eval()
        self.net.requires_grad_(False)  # gradients flow to the inputs only
        self._sha256 = weights.sha256
        return weights

    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def weights_sha256(self) -> str:
        return self._sha256

    def zoo_facts(self) -> dict[str, Any]:
        """What a run manifest records about the zoo network."""
        return {
            "name": self.name,
            "architecture": self.manifest.architecture,
            "config": self.manifest.config,
            "quality": self.manifest.quality,
        }
