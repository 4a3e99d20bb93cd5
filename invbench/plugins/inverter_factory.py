"""Turns registry entries into configured inverter instances."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inverter import Inverter
from invbench.plugins.catalog import INVERTERS


def parse_inverter_options(options: list[str]) -> dict[str, dict[str, Any]]:
    """``["waveform-adam:steps=20", ...]`` → ``{"waveform-adam": {"steps": 20}}``."""
    parsed: dict[str, dict[str, Any]] = {}
    for option in options:
        name, sep, assignment = option.partition(":")
        key, eq, raw = assignment.partition("=")
        if not (sep and eq and key):
            raise InvbenchError(f"--inverter-option {option!r} must look like NAME:KEY=VALUE")
        parsed.setdefault(name, {})[key] = yaml.safe_load(raw)
    return parsed


def make_inverter(name: str, overrides: dict[str, Any] | None = None) -> Inverter:
    entry = INVERTERS.get(name)
    try:
        if isinstance(entry, type):
            inverter = entry(**(overrides or {}))
        elif overrides:
            raise InvbenchError(f"inverter {name!r} is an instance; it takes no options")
        else:
            inverter = entry
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InvbenchError(f"inverter {name!r} option {field!r}: {err['msg']}") from None
    except TypeError as exc:
        raise InvbenchError(f"inverter {name!r} could not be constructed: {exc}") from None
    if not isinstance(inverter, Inverter):
        missing = [a for a in ("name", "version", "families", "oracle", "config", "invert")
                   if not hasattr(inverter, a)]
        raise InvbenchError(f"{name!r} does not satisfy the Inverter protocol (missing {missing})")
    if inverter.name != name:
        raise InvbenchError(f"inverter registered as {name!r} calls itself {inverter.name!r}")
    return inverter
