"""One process per run folder: an exclusive lock on ``<run>/run.lock`` for the life of a run.

Two ``invbench evaluate`` processes on one folder would both see the same items pending and
compute each twice. The lock is an ``fcntl.flock`` on a file in the run folder; the file holds
the pid of the holder so the second process can say who it is waiting for. The operating system
drops a flock when its process exits for any reason (a crash, ``kill -9``), so a stale lock
never blocks a later run; the file itself stays and means nothing while nobody holds it.

On a platform without ``fcntl`` (Windows) no lock is taken: there, keep to one process per
run folder yourself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from invbench.contracts.errors import InvbenchError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "run.lock"


def _holder(path: Path) -> str:
    """The pid written by the process holding the lock (``unknown`` while it is being written)."""
    try:
        text = path.read_text().strip()
    except OSError:
        text = ""
    return text or "unknown"


@contextmanager
def run_lock(root: Path, wait: bool = False,
             log: Callable[[str], None] = lambda message: None) -> Iterator[None]:
    """Hold the run folder ``root`` exclusively; ``wait``: block until the holder is done,
    else raise ``InvbenchError("run folder X in use by pid N ...")`` at once."""
    root.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    path = root / LOCK_FILE
    # "a" never truncates: the holder's pid stays readable until this process holds the lock
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _holder(path)
            if not wait:
                raise InvbenchError(
                    f"run folder {root} in use by pid {pid} (another invbench evaluate); wait "
                    "for it to finish, use another --out, or pass --wait-for-lock") from None
            log(f"run folder {root} in use by pid {pid}; waiting for it to finish")
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()  # nobody holds it now; the unlock comes with the close
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
