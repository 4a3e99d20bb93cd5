"""The inverter contract: a runtime-checkable Protocol and an optional base class."""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from invbench.contracts.inversion import Inversion, InversionProblem


@runtime_checkable
class Inverter(Protocol):
    """Anything with these attributes can be evaluated.

    ``families`` lists the task families it supports; ``oracle`` inverters (brackets such as
    ``reference``) are handed the hidden reference fields and are marked as such in results.
    ``config`` is a JSON-serialisable dict that is hashed into every result key.
    """

    name: str
    version: str
    families: tuple[str, ...]
    oracle: bool

    @property
    def config(self) -> dict[str, Any]: ...

    def invert(self, problem: InversionProblem) -> list[Inversion]: ...


class InverterConfig(BaseModel):
    """Base for inverter settings; unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BaseInverter:
    """Convenience base: declare ``Config`` (a pydantic model) and implement ``invert``.

    ``BaseInverter(steps=50)`` validates overrides against ``Config``.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    families: ClassVar[tuple[str, ...]] = ()
    oracle: ClassVar[bool] = False
    description: ClassVar[str] = ""
    Config: ClassVar[type[InverterConfig]] = InverterConfig

    def __init__(self, **overrides: Any) -> None:
        self.settings = self.Config(**overrides)

    @property
    def config(self) -> dict[str, Any]:
        return self.settings.model_dump(mode="json")

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        raise NotImplementedError


def config_hash(inverter: Inverter) -> str:
    """Short hash of (name, version, config): part of every result key, so changing a setting
    never mixes results of different configurations."""
    blob = json.dumps(
        {"name": inverter.name, "version": inverter.version, "config": inverter.config},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
