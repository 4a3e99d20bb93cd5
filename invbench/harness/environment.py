"""What a run records about itself (its manifest): enough to reproduce every number in it."""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import torch
from pydantic import BaseModel

from invbench.fs.shipped import repo_root
from invbench.plugins.catalog import INVERTERS
from invbench.store.manifest import PluginProvenance, RunManifest, Session
from invbench.store.stamps import library_versions, now_iso


def git_commit() -> str | None:
    root = repo_root()
    if root is None:
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
            timeout=10, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def device_info(device: str) -> dict[str, Any]:
    info = {
        "requested": device,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "torch_threads": torch.get_num_threads(),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def inverter_provenance(inverter: object) -> PluginProvenance:
    """Where ``inverter`` came from: the registry's provenance when its class is the one
    registered under its name (built-in, entry point with distribution and version, file);
    otherwise an object built in-process (e.g. passed to ``invbench.evaluate``), named by its
    class."""
    name = getattr(inverter, "name", "")
    if name in INVERTERS and INVERTERS.get(name) is type(inverter):
        return PluginProvenance.model_validate(INVERTERS.provenance(name), from_attributes=True)
    cls = type(inverter)
    return PluginProvenance(kind="in-process", origin=f"{cls.__module__}:{cls.__qualname__}")


def merge_manifest(existing: RunManifest | None, session: Session | None,
                   sections: Mapping[str, Mapping[str, Any]]) -> RunManifest:
    """Update a run's manifest: add this session (resumed runs keep every earlier one) and merge
    ``sections`` (tasks, inverters, models, ...: key -> entry, a model or its JSON) by key."""
    if existing is None:
        existing = RunManifest(created=now_iso(), invbench_version=library_versions()["invbench"])
    data = existing.model_dump(mode="json", by_alias=True)
    if session is not None:
        data["sessions"].append(session.model_dump(mode="json"))
    for name, entries in sections.items():
        data.setdefault(name, {}).update(
            {key: entry.model_dump(mode="json") if isinstance(entry, BaseModel) else entry
             for key, entry in entries.items()})
    return RunManifest.model_validate(data)
