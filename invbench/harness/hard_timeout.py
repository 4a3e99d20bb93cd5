"""A wall-clock limit on an inverter call, for inverters that ignore ``out_of_budget``.

The limit is a real-time interval timer (``SIGALRM``), which the process has only one of. So the
limit shares it with whatever timer was set before (a caller's own alarm, an outer limit): while
the block runs the timer is armed for whichever is due first, an earlier outer timer is handed to
its own handler when it comes, and on exit the previous handler and the rest of the previous
timer (its interval included) are put back.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from invbench.contracts.errors import BudgetExhausted

_SOON = 1e-6  # seconds: a timer already due is re-armed to fire at once, never dropped


class _SharedAlarm:
    """This block's deadline plus the timer and handler it displaced."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        now = time.monotonic()
        self.own_due = now + seconds
        self.handler: Any = signal.getsignal(signal.SIGALRM)
        delay, self.outer_interval = signal.getitimer(signal.ITIMER_REAL)
        self.outer_due: float | None = now + delay if delay > 0 else None
        self.outer_next = False  # whether the armed timer is the outer one's

    def arm(self) -> None:
        """Arm the timer for whichever deadline comes first."""
        self.outer_next = self.outer_due is not None and self.outer_due < self.own_due
        due = self.outer_due if self.outer_next else self.own_due
        signal.setitimer(signal.ITIMER_REAL, max(due - time.monotonic(), _SOON))

    def expire(self, signum: int, frame: FrameType | None) -> None:
        if not self.outer_next:
            raise BudgetExhausted(
                f"inverter exceeded its hard time limit of {self.seconds:.0f} s"
            )
        # The outer timer came due first: it repeats (if it had an interval), this block's own
        # deadline is armed again, and the outer handler runs as if nothing sat in between.
        interval = self.outer_interval
        self.outer_due = time.monotonic() + interval if interval > 0 else None
        self.arm()
        if callable(self.handler):
            self.handler(signum, frame)
        elif self.handler == signal.SIG_DFL:  # the default action: end the process
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGALRM)

    def restore(self) -> None:
        """Stop this block's timer, then put back the previous handler and timer."""
        signal.setitimer(signal.ITIMER_REAL, 0)
        # None: a handler not installed from Python, which cannot be reinstated; use the default
        signal.signal(signal.SIGALRM, signal.SIG_DFL if self.handler is None else self.handler)
        if self.outer_due is not None:
            left = max(self.outer_due - time.monotonic(), _SOON)
            signal.setitimer(signal.ITIMER_REAL, left, self.outer_interval)


@contextmanager
def hard_timeout(seconds: float | None) -> Iterator[None]:
    """Raise :class:`BudgetExhausted` inside the block after ``seconds`` (main thread, POSIX).

    Elsewhere (or for no or a non-positive limit) it does nothing: the soft budget checks still
    apply. A timer set before the block still fires when it is due, and survives the block.
    """
    if (
        seconds is None
        or seconds <= 0
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    alarm = _SharedAlarm(seconds)
    signal.signal(signal.SIGALRM, alarm.expire)
    alarm.arm()
    try:
        yield
    finally:
        alarm.restore()
