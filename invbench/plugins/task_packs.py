"""Task packs: installed packages that ship task YAML and target sets.

An ``invbench.tasks`` entry point's value is either ``"package"`` (its folder is read like an
``--include-path`` folder: task YAML anywhere below it, target sets under ``targets/``) or
``"module:attr"``, where the attribute is a folder (``str`` or ``Path``) or a zero-argument
callable returning one.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from invbench.contracts.errors import InvbenchError
from invbench.plugins.registry import resolve_lazy


def _package_folder(name: str) -> Path:
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # a broken pack is a one-line error, not a traceback
        raise InvbenchError(f"task pack {name!r} cannot be imported: {exc}") from exc
    locations = list(getattr(module, "__path__", []))
    if not locations:
        raise InvbenchError(f"task pack {name!r} is a module, not a package folder")
    return Path(locations[0])


def resolve_task_pack(spec: str) -> Path:
    """The folder an ``invbench.tasks`` entry point's value names."""
    if ":" not in spec:
        folder = _package_folder(spec)
    else:
        value = resolve_lazy(spec)
        if callable(value):
            value = value()
        if not isinstance(value, (str, Path)):
            raise InvbenchError(
                f"task pack {spec!r} must give a folder (str or Path), got {type(value).__name__}"
            )
        folder = Path(value)
    if not folder.is_dir():
        raise InvbenchError(f"task pack {spec!r}: {str(folder)!r} is not a folder")
    return folder
