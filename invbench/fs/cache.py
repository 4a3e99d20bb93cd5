"""Where invbench keeps converted weights and other derived files.

One folder for everything derived (never for inputs that must be shipped), so that a user can
relocate it with ``INVBENCH_CACHE`` — e.g. to a shared disk on a cluster or a temporary folder in
tests — and delete it safely: everything in it can be rebuilt offline.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "INVBENCH_CACHE"


def cache_dir() -> Path:
    """The cache folder: ``$INVBENCH_CACHE`` if set, else the platform's user cache folder.

    Created on demand so callers can write into it directly.
    """
    override = os.environ.get(ENV_VAR)
    if override:
        path = Path(override).expanduser()
    else:
        path = Path(platformdirs.user_cache_dir("invbench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def prepared_targets_dir() -> Path:
    """Where ``invbench prepare`` freezes locally rendered target sets (in the cache folder,
    which ``INVBENCH_CACHE`` relocates)."""
    return cache_dir() / "targets"
