"""A target set's ``manifest.json``, typed: what the set is, and the hash of every file in it.

Every target set (``data/targets/<name>/``, a task pack's ``targets/``, a set frozen by
``invbench prepare``) has one. ``files`` maps each file (``targets.jsonl`` first of all, and
every ``.wav``/``.png`` a row names) to its sha256; ``content_sha256`` is
:func:`invbench.targets.target_set.content_sha256` over them, the hash a task pins. Media facts
(``sample_rate``, ``image_size``) are checked against every decoded file; ``pool`` names an
optional ``pool.jsonl`` of natural non-target inputs (FID/KID references). ``made_by`` (or any
further field, e.g. ``how_made``) records how the set was built and is kept as written.

Writers build a :class:`TargetSetManifest` and write :meth:`TargetSetManifest.to_json`: fields
in the order below, then any extra ones, leaving out what was not given; two-space indent.
``schema`` is likewise written only when given (absent means 1), so the shipped manifests,
written before schemas were numbered, round-trip byte for byte. Readers use
:func:`read_target_set_manifest`. ``invbench schema target-set-manifest`` prints the JSON Schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from invbench.contracts.errors import TargetSetError
from invbench.fs.typed_json import Versioned, read_json_model

TARGET_SET_SCHEMA = 1
SHA256 = r"^[0-9a-f]{64}$"


class TargetSetManifest(Versioned):
    """The manifest of one target set."""

    SCHEMA = TARGET_SET_SCHEMA

    name: str = Field(description="The set's name, as tasks pin it.")
    version: int = Field(ge=1, description="The set's version, as tasks pin it.")
    description: str | None = Field(None, description="What the targets are.")
    licence: str | None = Field(None, description="Licence of the files.")
    count: int | None = Field(None, ge=0, description="Number of targets.")
    sample_rate: int | None = Field(None, gt=0, description="Hz of every .wav (audio sets).")
    image_size: tuple[int, int] | None = Field(
        None, description="[height, width] of every .png (image sets).")
    pool: str | None = Field(None, description="File of non-target inputs, e.g. pool.jsonl.")
    pool_count: int | None = Field(None, ge=0, description="Number of pool inputs.")
    made_by: dict[str, Any] | None = Field(None, description="How the set was built.")
    files: dict[str, str] = Field(description="Relative path -> sha256 of every file.")
    content_sha256: str = Field(pattern=SHA256, description="Hash over the files' hashes.")

    @field_validator("files")
    @classmethod
    def _lists_targets(cls, files: dict[str, str]) -> dict[str, str]:
        if "targets.jsonl" not in files:
            raise ValueError("must list targets.jsonl")
        return files

    def to_json(self) -> str:
        """The text of ``manifest.json`` (see the module docstring for the layout)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return json.dumps(data, indent=2) + "\n"


def read_target_set_manifest(path: Path) -> TargetSetManifest:
    """``path`` validated; a problem is one :class:`TargetSetError` line naming file and field."""
    return read_json_model(path, TargetSetManifest, TargetSetError)
