"""A mini-zoo model's ``manifest.json`` (``data/models/<name>/``), typed.

Written beside ``model.safetensors`` when a recipe (``invbench zoo train NAME``) finishes, and
read before any weight is loaded: ``files`` holds the weights' sha256 (checked first),
``architecture`` and ``config`` rebuild the network, and ``recipe``, ``quality`` and
``training`` record how it was made, how good it is and what it cost. Files written before
schemas were numbered have no ``schema`` and read as schema 1; :meth:`ZooManifest.to_json`
writes only the fields given, so they round-trip byte for byte. ``invbench schema
zoo-manifest`` prints the JSON Schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from invbench.contracts.errors import InvbenchError
from invbench.fs.typed_json import Versioned, read_json_model

ZOO_SCHEMA = 1
WEIGHTS_FILE = "model.safetensors"
MANIFEST_FILE = "manifest.json"


class ZooManifest(Versioned):
    """The manifest of one mini-zoo model."""

    SCHEMA = ZOO_SCHEMA

    name: str = Field(description="The zoo name, e.g. captioner.")
    architecture: str = Field(description="Network family and revision, e.g. mini-tts-v1.")
    config: dict[str, Any] = Field(description="Keyword arguments that build the network.")
    files: dict[str, str] = Field(description=f"File -> sha256; lists {WEIGHTS_FILE}.")
    bytes: int | None = Field(None, ge=0, description=f"Size of {WEIGHTS_FILE}.")
    parameters: int | None = Field(None, ge=0, description="Number of weights.")
    recipe: dict[str, Any] = Field(
        default_factory=dict, description="The command, seeds and settings that trained it.")
    quality: dict[str, Any] = Field(
        default_factory=dict, description="What it reached on held-out data.")
    training: dict[str, Any] = Field(
        default_factory=dict, description="What training cost, and on which machine.")

    @field_validator("files")
    @classmethod
    def _lists_weights(cls, files: dict[str, str]) -> dict[str, str]:
        if WEIGHTS_FILE not in files:
            raise ValueError(f"must list {WEIGHTS_FILE}")
        return files

    @property
    def weights_sha256(self) -> str:
        return self.files[WEIGHTS_FILE]

    def to_json(self) -> str:
        """The text of ``manifest.json``: the given fields in order, two-space indent."""
        data = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return json.dumps(data, indent=2) + "\n"


def read_zoo_manifest(path: Path) -> ZooManifest:
    """``path`` validated; a problem is one :class:`InvbenchError` line naming file and field."""
    return read_json_model(path, ZooManifest, InvbenchError)
