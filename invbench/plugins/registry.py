"""A generic name → object registry with lazy ``"module:attr"`` entries.

Built-ins are listed as strings (see ``invbench.plugins.catalog``) so ``invbench inverters`` never
imports
torch-heavy modules it does not need. Third-party inverters arrive through the entry-point group
``invbench.inverters``, ``register_inverter`` in-process, or ``--inverter-path file.py``.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Generic, TypeVar

from invbench.contracts.errors import InvbenchError, UnknownNameError

T = TypeVar("T")


class RegistryCollisionError(InvbenchError):
    """Two different objects were registered under one name."""


def resolve_lazy(spec: str) -> Any:
    """Import ``"package.module:attr"`` and return the attribute."""
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise InvbenchError(f"lazy registry entry {spec!r} must look like 'module:attr'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvbenchError(f"cannot import {module_name!r} for entry {spec!r}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise InvbenchError(f"module {module_name!r} has no attribute {attr!r}") from None


class Registry(Generic[T]):
    """Names of one kind of thing (inverters, forward models, metrics)."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._entries: dict[str, T | str] = {}
        self._origins: dict[str, str] = {}
        self._entry_points_loaded = entry_point_group is None

    def add(self, name: str, obj: T | str, origin: str = "built-in") -> None:
        """Register ``obj`` (or a lazy ``"module:attr"`` string) under ``name``.

        Re-registering the very same object is a no-op; anything else under a taken name is an
        error that names both origins, so a plug-in can never silently shadow a built-in.
        """
        existing = self._entries.get(name)
        if existing is not None and existing is not obj and existing != obj:
            raise RegistryCollisionError(
                f"{self.kind} {name!r} is already registered (from {self._origins[name]}); "
                f"refusing the second registration from {origin}"
            )
        self._entries[name] = obj
        self._origins[name] = origin

    def remove(self, name: str) -> None:
        """Unregister ``name`` (e.g. a test's temporary entry); unknown names are ignored."""
        self._entries.pop(name, None)
        self._origins.pop(name, None)

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def decorate(obj: T) -> T:
            module = getattr(obj, "__module__", "?")
            self.add(name, obj, origin=f"{module}:{getattr(obj, '__qualname__', obj)}")
            return obj

        return decorate

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            self.add(ep.name, ep.value, origin=f"entry point {ep.value} ({self.entry_point_group})")

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._entries)

    def builtin_names(self) -> list[str]:
        """Names that ship with invbench (not plug-ins)."""
        return [name for name in self.names() if self._origins[name] == "built-in"]

    def origin(self, name: str) -> str:
        self.get(name)
        return self._origins[name]

    def get(self, name: str) -> T:
        """The object registered as ``name``; unknown names get "did you mean" suggestions."""
        self._load_entry_points()
        if name not in self._entries:
            raise UnknownNameError(self.unknown_message(name))
        entry = self._entries[name]
        if isinstance(entry, str):
            entry = resolve_lazy(entry)
            self._entries[name] = entry
        return entry

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self.names()) or 'none'})"

    def __contains__(self, name: object) -> bool:
        self._load_entry_points()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def load_python_file(path: str | Path) -> None:
    """Execute a local ``.py`` file so its ``register_inverter`` calls take effect."""
    path = Path(path)
    if not path.is_file():
        raise InvbenchError(f"--inverter-path {str(path)!r}: no such file")
    module_name = f"invbench_user_{path.stem}_{abs(hash(path.resolve())) % 10**8}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise InvbenchError(f"--inverter-path {str(path)!r}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except InvbenchError:
        raise
    except Exception as exc:
        raise InvbenchError(f"--inverter-path {str(path)!r} failed to load: {exc!r}") from exc
