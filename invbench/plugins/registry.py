"""A generic name → object registry with lazy ``"module:attr"`` entries and entry points.

Every name table in invbench is one of these (``invbench.plugins.catalog`` holds the plug-in
registries; the mini zoo's recipes are another). Built-ins are listed as lazy strings, so listing
names never imports torch-heavy modules it does not need. Plug-ins arrive through an entry-point
group (read on first use), a decorator in-process, or ``--inverter-path file.py``.

Names are checked as they arrive: only letters, digits, ``.``, ``_`` and ``-`` (no path
separator, no line break), because a name becomes part of paths, record keys and table cells.
One object registered twice under one name (the README's decorator *and* its package's entry
point) is one registration; two different objects under one name are an error naming both.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Generic, TypeVar

from invbench.contracts.errors import InvbenchError, UnknownNameError
from invbench.contracts.names import check_name
from invbench.plugins.provenance import Provenance, note_file_module, preferred, provenance_of

T = TypeVar("T")


class RegistryCollisionError(InvbenchError):
    """Two different objects were registered under one name."""


def unknown_name_message(kind: str, name: str, known: Iterable[str]) -> str:
    """The one "unknown X; did you mean Y?" line every lookup of a name uses."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (known: {', '.join(known) or 'none'})"


def resolve_lazy(spec: str) -> Any:
    """Import ``"package.module:attr"`` and return the attribute."""
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise InvbenchError(f"lazy registry entry {spec!r} must look like 'module:attr'")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # a broken plug-in is a one-line error, not a traceback
        raise InvbenchError(f"cannot import {module_name!r} for entry {spec!r}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise InvbenchError(f"module {module_name!r} has no attribute {attr!r}") from None


@dataclass
class _Entry:
    value: Any  # the object, or a lazy string the registry's resolver turns into it
    provenance: Provenance
    # same-name registrations not yet compared: one side could not be imported when it arrived
    # (a decorator runs while its module is still importing, before the module attribute exists)
    rivals: list[tuple[Any, Provenance]] = field(default_factory=list)


class Registry(Generic[T]):
    """Names of one kind of thing (inverters, models, metrics, families, task packs, ...)."""

    def __init__(self, kind: str, entry_point_group: str | None = None,
                 resolve: Callable[[str], Any] = resolve_lazy) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._resolve = resolve
        self._entries: dict[str, _Entry] = {}
        self._entry_points_loaded = entry_point_group is None

    def add(self, name: str, obj: T | str, origin: str = "built-in",
            provenance: Provenance | None = None) -> None:
        """Register ``obj`` (or a lazy ``"module:attr"`` string) under ``name``.

        ``origin`` "built-in" marks invbench's own entries; any other origin is in-process code.
        Registering the same object again is a no-op (lazy entries are imported to compare);
        a different object under a taken name is an error naming both origins, so a plug-in can
        never silently shadow another. A name must be safe (letters, digits, ``.``, ``_``, ``-``):
        it becomes part of artifact paths, record keys and CSV cells.
        """
        check_name(f"{self.kind} name", name)
        if provenance is None:
            kind = "built-in" if origin == "built-in" else "in-process"
            text = obj if origin == "built-in" and isinstance(obj, str) else origin
            provenance = Provenance(kind=kind, origin=str(text))
        entry = self._entries.get(name)
        if entry is None:
            self._entries[name] = _Entry(obj, provenance)
            return
        if entry.value is obj or (isinstance(obj, str) and entry.value == obj):
            entry.provenance = preferred(entry.provenance, provenance)
            return
        mine, theirs = self._try_resolve(entry.value), self._try_resolve(obj)
        if mine is None or theirs is None:
            entry.rivals.append((obj, provenance))  # compared on the next get()
            return
        self._compare(name, entry, mine[0], theirs[0], provenance)

    def _try_resolve(self, value: Any) -> tuple[Any] | None:
        """``(object,)``, or None when a lazy value cannot be imported (yet)."""
        if not isinstance(value, str):
            return (value,)
        try:
            return (self._resolve(value),)
        except InvbenchError:
            return None

    def _compare(self, name: str, entry: _Entry, mine: Any, theirs: Any,
                 provenance: Provenance) -> None:
        if mine is not theirs:
            raise RegistryCollisionError(
                f"{self.kind} {name!r} is already registered (from "
                f"{entry.provenance.describe()}); refusing the second registration from "
                f"{provenance.describe()}"
            )
        entry.provenance = preferred(entry.provenance, provenance)

    def _settle(self, name: str, entry: _Entry, value: Any) -> None:
        rivals, entry.rivals = entry.rivals, []
        for obj, provenance in rivals:
            try:
                theirs = self._resolve(obj) if isinstance(obj, str) else obj
            except InvbenchError as exc:
                raise RegistryCollisionError(
                    f"{self.kind} {name!r} is registered twice ({entry.provenance.describe()}; "
                    f"{provenance.describe()}) and the second cannot be loaded: {exc}"
                ) from None
            self._compare(name, entry, value, theirs, provenance)

    def remove(self, name: str) -> None:
        """Unregister ``name`` (e.g. a test's temporary entry); unknown names are ignored."""
        self._entries.pop(name, None)

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`; the provenance comes from the object's module."""
        check_name(f"{self.kind} name", name)  # refused at the decorator line, not later

        def decorate(obj: T) -> T:
            provenance = provenance_of(obj)
            self.add(name, obj, origin=provenance.origin, provenance=provenance)
            return obj

        return decorate

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            self.add(ep.name, ep.value, provenance=entry_point_provenance(ep))

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._entries)

    def builtin_names(self) -> list[str]:
        """Names that ship with invbench (not plug-ins)."""
        return [n for n in self.names() if self._entries[n].provenance.kind == "built-in"]

    def _entry(self, name: str) -> _Entry:
        self._load_entry_points()
        if name not in self._entries:
            raise UnknownNameError(self.unknown_message(name))
        return self._entries[name]

    def get(self, name: str) -> T:
        """The object registered as ``name``; unknown names get "did you mean" suggestions.

        A lazy entry is resolved on every call (a dictionary lookup once imported), so the
        registry never keeps a stale copy of a module that was re-imported or replaced."""
        entry = self._entry(name)
        value = self._resolve(entry.value) if isinstance(entry.value, str) else entry.value
        if entry.rivals:
            self._settle(name, entry, value)
        return value

    def provenance(self, name: str) -> Provenance:
        """Where ``name`` came from (built-in, entry point with its distribution, file, ...)."""
        entry = self._entry(name)
        if entry.rivals:
            self.get(name)  # compare first: a rival entry point may be the better provenance
        return entry.provenance

    def origin(self, name: str) -> str:
        return self.provenance(name).origin

    def unknown_message(self, name: str) -> str:
        return unknown_name_message(self.kind, name, self.names())

    def __contains__(self, name: object) -> bool:
        self._load_entry_points()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def entry_point_provenance(ep: EntryPoint) -> Provenance:
    """An entry point's provenance: its value and the distribution (name, version) declaring it."""
    dist = getattr(ep, "dist", None)
    return Provenance(kind="entry-point", origin=ep.value,
                      distribution=dist.name if dist is not None else None,
                      version=dist.version if dist is not None else None)


def load_python_file(path: str | Path) -> None:
    """Execute a local ``.py`` file so its ``register_*`` calls take effect."""
    path = Path(path)
    if not path.is_file():
        raise InvbenchError(f"--inverter-path {str(path)!r}: no such file")
    module_name = f"invbench_user_{path.stem}_{abs(hash(path.resolve())) % 10**8}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise InvbenchError(f"--inverter-path {str(path)!r}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    note_file_module(module_name, path.resolve())
    try:
        spec.loader.exec_module(module)
    except InvbenchError:
        raise
    except Exception as exc:
        raise InvbenchError(f"--inverter-path {str(path)!r} failed to load: {exc!r}") from exc
