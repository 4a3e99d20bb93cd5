"""Safe names: what a target id or a registered name may look like.

Ids and names become parts of file paths (``artifacts/<task>/<inverter>-<hash>/<id>-s<seed>``),
of record keys (joined with ``|``) and of CSV cells. Restricting them to one portable pattern
where they enter (target-set loading, registration) means a hostile id such as
``../../escaped`` or a name holding a path separator or a line break never reaches a path, a key
or a table.
"""

from __future__ import annotations

import re

from invbench.contracts.errors import InvbenchError

SAFE_NAME_PATTERN = "[A-Za-z0-9._-]+"
_SAFE = re.compile(SAFE_NAME_PATTERN)


def is_safe_name(name: object) -> bool:
    """True for a non-empty string of letters, digits, ``.``, ``_`` and ``-`` other than ``.``
    and ``..`` (which a path would read as this folder or its parent)."""
    return isinstance(name, str) and bool(_SAFE.fullmatch(name)) and name not in (".", "..")


def safe_name_rule() -> str:
    """The rule in words, for error messages."""
    return f"it must match {SAFE_NAME_PATTERN} and not be '.' or '..'"


def check_name(kind: str, name: object) -> str:
    """``name`` unchanged if it is safe, else an ``InvbenchError`` naming ``kind`` and the rule."""
    if isinstance(name, str) and is_safe_name(name):
        return name
    raise InvbenchError(f"{kind} {name!r} is not allowed: {safe_name_rule()}")
