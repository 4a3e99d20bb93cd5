"""Where the shipped resource folders (``tasks/``, ``metrics/``, ``data/``) live.

In a source checkout (or an editable install) they sit beside the package; a wheel carries them
inside the package as ``invbench/_assets/<name>`` (see ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

# this file's own path, not ``invbench.__file__``: importing the top-level package from here
# would make the lowest layer depend on everything the package re-exports
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def resource_dir(name: str) -> Path:
    """The folder ``name`` (``"tasks"``, ``"metrics"`` or ``"data"``) shipped with invbench."""
    for candidate in (_PACKAGE_DIR.parent / name, _PACKAGE_DIR / "_assets" / name):
        if candidate.is_dir():
            return candidate
    return _PACKAGE_DIR / "_assets" / name


def repo_root() -> Path | None:
    """The source checkout invbench runs from, if any (used to record the git commit)."""
    root = _PACKAGE_DIR.parent
    return root if (root / ".git").exists() else None
