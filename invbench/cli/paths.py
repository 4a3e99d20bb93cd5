"""Paths the CLI writes to: checked up front, and any ``OSError`` turned into one line.

A run folder that cannot be made (a file in the way, no permission, a read-only mount) should
fail before a model loads, not after the first batch; and an ``OSError`` anywhere (disk full,
permission denied) should reach the user as one line naming the path, never as a traceback.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from invbench.contracts.errors import InvbenchError

# errno values whose strerror alone does not say what is wrong with the path
_HINTS = {
    errno.ENOTDIR: "a file stands where a folder is needed",
    errno.EEXIST: "a file stands where a folder is needed",
    errno.ENOSPC: "the disk is full",
}


def os_error_message(exc: OSError) -> str:
    """One line for ``exc``: the path(s) it names, then the system's reason."""
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    reason = exc.strerror or str(exc) or type(exc).__name__
    hint = _HINTS.get(exc.errno) if exc.errno is not None else None
    if hint and hint not in reason.lower():
        reason = f"{reason} ({hint})"
    if not paths:
        return reason
    return f"cannot write or read {' -> '.join(paths)}: {reason}"


def _nearest_existing(path: Path) -> Path:
    """``path`` itself or its closest ancestor that exists (the root always does)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def check_writable_folder(path: str | Path | None, option: str = "--out") -> None:
    """Raise a one-line error unless ``path`` is (or can be made) a folder we can write in.

    Nothing is left behind: a missing folder is not created, only a probe folder is made and
    removed in its closest existing ancestor (root, who ignores permission bits, still meets a
    read-only mount or a file in the way here)."""
    if path is None:
        return
    path = Path(path).expanduser()
    base = _nearest_existing(path)
    if not base.is_dir():
        where = "is a file" if base == path else f"cannot be made: {base} is a file"
        raise InvbenchError(f"{option} {path} {where}, not a folder")
    try:
        probe = tempfile.mkdtemp(prefix=".invbench-probe-", dir=base)
        os.rmdir(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvbenchError(f"{option} {path} is not writable ({base}: {reason})") from None
