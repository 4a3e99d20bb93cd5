"""A run's ``manifest.json``, typed: enough to reproduce every number in the run.

It lists every session that wrote to the run (a resumed run keeps the earlier ones), and by key
the tasks, target sets, inverters (with where each plug-in came from), forward models and peak
memory they used. Files written before schemas were numbered have no ``schema`` and read as
schema 1. ``invbench schema run-manifest`` prints the JSON Schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from invbench.fs.typed_json import Versioned

MANIFEST_SCHEMA = 1


class Session(BaseModel):
    """One ``invbench evaluate`` that wrote to the run."""

    model_config = ConfigDict(extra="allow")

    started: str = Field(description="ISO 8601, UTC.")
    command_line: list[str] = Field(description="The command, as typed.")
    pid: int = Field(description="Process id.")
    shard: tuple[int, int] | None = Field(None, description="[i, N] of --shard i/N.")
    git_commit: str | None = Field(None, description="HEAD of the invbench checkout, if any.")
    libraries: dict[str, str | None] = Field(
        default_factory=dict, description="Installed versions (null: not installed).")
    device: dict[str, Any] = Field(
        default_factory=dict, description="Requested device, platform, Python, threads, GPU.")


class TargetSetEntry(BaseModel):
    """A target set as loaded and verified."""

    model_config = ConfigDict(extra="allow")

    key: str = Field(description="name@version.")
    content_sha256: str = Field(description="Content hash, verified file by file.")
    root: str = Field(description="The folder it was read from.")


class PluginProvenance(BaseModel):
    """Where a registered plug-in came from."""

    model_config = ConfigDict(extra="allow")

    kind: Literal["built-in", "entry-point", "file", "in-process"] = Field(
        description="How it was registered.")
    origin: str = Field(description="module:attr, a file path, or the entry point's value.")
    distribution: str | None = Field(None, description="Installed distribution (entry points).")
    version: str | None = Field(None, description="That distribution's version.")


class InverterEntry(BaseModel):
    """An inverter as run: what its config hash covers, and where it came from."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(description="Registered name.")
    version: str = Field(description="The inverter's own version string.")
    config: dict[str, Any] = Field(description="Its settings (covered by the config hash).")
    oracle: bool = Field(description="It sees hidden reference fields.")
    provenance: PluginProvenance | None = Field(
        None, description="Registry provenance (absent: older run or unregistered instance).")


class RunManifest(Versioned):
    """The run folder's manifest."""

    SCHEMA = MANIFEST_SCHEMA

    created: str = Field(description="When the run folder was first written (ISO 8601, UTC).")
    invbench_version: str | None = Field(description="invbench's version at creation.")
    sessions: list[Session] = Field(
        default_factory=list, description="Every evaluate that wrote to the run, in order.")
    tasks: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="task@version -> the task spec as run.")
    target_sets: dict[str, TargetSetEntry] = Field(
        default_factory=dict, description="task@version -> its target set.")
    inverters: dict[str, InverterEntry] = Field(
        default_factory=dict, description="name@config_hash -> the inverter.")
    models: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="task@version -> forward model and judges described.")
    peak_memory: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="session start|task -> peak memory in bytes.")
