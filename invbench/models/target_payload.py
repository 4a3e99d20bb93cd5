"""How a forward model's objective reads one field of a target, whatever form it arrives in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from invbench.contracts.errors import InvbenchError


def target_field(target: Any, key: str) -> Any:
    """``key`` of a target: a harness ``Target``'s payload, a mapping (``{"text": ...}``), or,
    when given bare (a str, an ``Image``, a ``Waveform``), the value itself. Models validate it."""
    payload = getattr(target, "payload", target)
    return payload.get(key) if isinstance(payload, Mapping) else payload


def caption_text(target: Any) -> str:
    """A captioner target's caption, stripped; a one-line error for anything but a string."""
    text = target_field(target, "text")
    if not isinstance(text, str):
        raise InvbenchError(f"a captioner target must be a caption string, got {target!r}")
    return text.strip()
