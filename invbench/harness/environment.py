"""What a run records about itself: enough to reproduce every number in it."""

from __future__ import annotations

import platform
import subprocess
import sys
from typing import Any

import torch

from invbench.fs.shipped import repo_root
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


def merge_manifest(existing: dict[str, Any] | None, session: dict[str, Any] | None,
                   sections: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Update a run's manifest: add this session (resumed runs keep every earlier one) and merge
    ``sections`` (tasks, inverters, models, ...) by key."""
    manifest = existing or {
        "created": now_iso(),
        "invbench_version": library_versions()["invbench"],
        "sessions": [],
    }
    if session is not None:
        manifest["sessions"].append(session)
    for name, entries in sections.items():
        manifest.setdefault(name, {}).update(entries)
    return manifest
