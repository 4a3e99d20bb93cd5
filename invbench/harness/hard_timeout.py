"""A wall-clock limit on an inverter call, for inverters that ignore ``out_of_budget``."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from invbench.contracts.errors import BudgetExhausted


@contextmanager
def hard_timeout(seconds: float | None) -> Iterator[None]:
    """Raise :class:`BudgetExhausted` inside the block after ``seconds`` (main thread, POSIX).

    Elsewhere it does nothing: the soft budget checks still apply.
    """
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expire(signum, frame):  # noqa: ARG001 - signal handler signature
        raise BudgetExhausted(f"inverter exceeded its hard time limit of {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
