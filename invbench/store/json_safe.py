"""Make an inverter's free-form diagnostics (``Inversion.info``) safe to store as JSON.

``info`` is whatever a method finds worth recording: numbers, flags, numpy or torch scalars,
small arrays, sometimes an object. Records must stay strict JSON (no NaN) and small, so values
are converted rather than refused: a bad diagnostic never costs an item its scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

MAX_ELEMENTS = 64  # larger arrays are summarised: a record is not an artifact store
MAX_TEXT = 500


def _array_like(value: Any) -> Any | None:
    """numpy arrays/scalars and torch tensors as Python values (None if not array-like)."""
    shape = getattr(value, "shape", None)
    if not hasattr(value, "tolist") or shape is None:
        return None
    size = math.prod(shape) if shape else 1
    if size > MAX_ELEMENTS:
        dtype = getattr(value, "dtype", "?")
        return f"<{type(value).__name__} shape {tuple(shape)} dtype {dtype}>"
    try:
        if hasattr(value, "detach"):  # a torch tensor: off the graph and the device first
            value = value.detach().cpu()
        return value.tolist()
    except Exception:  # e.g. an exotic dtype: summarised like a large array
        return f"<{type(value).__name__} shape {tuple(shape)}>"


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` as strict-JSON data: non-finite floats become None, unknown objects their repr."""
    if value is None or isinstance(value, (bool, str)):
        return value if not isinstance(value, str) else value[:MAX_TEXT]
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 8:
        return repr(value)[:MAX_TEXT]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [json_safe(v, depth + 1) for v in items]
    converted = _array_like(value)
    if converted is not None:
        return json_safe(converted, depth + 1)
    return repr(value)[:MAX_TEXT]


def info_dict(info: Any) -> dict[str, Any]:
    """An ``Inversion.info`` as a JSON-safe dict (anything but a mapping is kept as ``value``)."""
    if info is None:
        return {}
    return json_safe(info if isinstance(info, Mapping) else {"value": info})
