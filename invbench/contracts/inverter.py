"""The inverter contract: a runtime-checkable Protocol and an optional base class."""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, Literal, Protocol, get_args, runtime_checkable

from pydantic import BaseModel, ConfigDict

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion, InversionProblem

# What an inverter may do with the model: "white-box" gets the model itself (``objective`` and
# its gradients); "query-only" gets a ``QueryOnlyModel`` (``run`` only, queries counted).
Access = Literal["white-box", "query-only"]
ACCESS_CLASSES: tuple[str, ...] = get_args(Access)


@runtime_checkable
class Inverter(Protocol):
    """Anything with these attributes can be evaluated.

    ``families`` lists the task families it supports; ``oracle`` inverters (brackets such as
    ``reference``) are handed the hidden reference fields and are marked as such in results.
    ``config`` is a JSON-serialisable dict that is hashed into every result key.

    An optional ``access`` attribute (``Access``: ``"white-box"`` when absent) says what the
    inverter is handed as ``problem.forward``; it is recorded and shown on the leaderboard but
    is not part of the config hash. It is not a protocol member, so inverters written before
    access classes existed still satisfy the protocol.
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
    access: ClassVar[Access] = "white-box"
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


def inverter_access(inverter: Inverter) -> Access:
    """The inverter's declared access class (``"white-box"`` when it declares none)."""
    access = getattr(inverter, "access", "white-box")
    if access not in ACCESS_CLASSES:
        raise InvbenchError(
            f"inverter {getattr(inverter, 'name', '?')!r} declares access {access!r}; expected "
            f"one of {', '.join(map(repr, ACCESS_CLASSES))}"
        )
    return access
