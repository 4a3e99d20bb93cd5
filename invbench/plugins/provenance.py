"""Where a registered plug-in came from: shipped with invbench, an installed distribution's entry
point, a ``--inverter-path`` file, or code that registered it in-process.

Run manifests record this next to each inverter, so a result can be traced to the exact package
(name and version) that produced it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ProvenanceKind = Literal["built-in", "entry-point", "file", "in-process"]

# module names given to files run by ``load_python_file`` -> the file, so that what such a file
# registers is reported as coming from that file rather than from an opaque module name
_FILE_MODULES: dict[str, Path] = {}


class Provenance(BaseModel):
    """The origin of one registry entry (``model_dump()`` is what manifests store)."""

    model_config = ConfigDict(frozen=True)

    kind: ProvenanceKind
    origin: str  # "module:attr", a file path, or the entry point's value
    distribution: str | None = None  # entry points: the installed distribution's name ...
    version: str | None = None  # ... and version

    def describe(self) -> str:
        """One line for listings and error messages."""
        if self.kind == "entry-point":
            dist = " ".join(p for p in (self.distribution, self.version) if p) or "unknown package"
            return f"entry point {self.origin} ({dist})"
        if self.kind == "built-in":
            return "built-in"
        return f"{self.kind} {self.origin}"


def note_file_module(module_name: str, path: Path) -> None:
    """Remember that ``module_name`` is the module ``load_python_file`` made of ``path``."""
    _FILE_MODULES[module_name] = path


def provenance_of(obj: Any) -> Provenance:
    """The provenance of an object registered by a decorator, judged by its defining module."""
    module = str(getattr(obj, "__module__", None) or "?")
    qualname = str(getattr(obj, "__qualname__", type(obj).__qualname__))
    if module in _FILE_MODULES:
        return Provenance(kind="file", origin=f"{_FILE_MODULES[module]}:{qualname}")
    kind: ProvenanceKind = "built-in" if module.partition(".")[0] == "invbench" else "in-process"
    return Provenance(kind=kind, origin=f"{module}:{qualname}")


def preferred(first: Provenance, second: Provenance) -> Provenance:
    """Of two provenances of one and the same object, the one to keep: an entry point names the
    distribution and version that shipped the object, which a decorator's module name does not."""
    if second.kind == "entry-point" and first.kind != "entry-point":
        return second
    return first
