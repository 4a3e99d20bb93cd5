"""``hard_timeout`` shares the process's one real-time timer: timers set before it survive it."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest

from invbench.contracts import BudgetExhausted
from invbench.harness.hard_timeout import hard_timeout


@pytest.fixture
def fired() -> Iterator[list[float]]:
    """A recording SIGALRM handler, installed for the test; the test's previous timer and
    handler (pytest-timeout may use them) are put back afterwards."""
    times: list[float] = []
    saved_handler = signal.signal(signal.SIGALRM, lambda *_: times.append(time.monotonic()))
    saved_timer = signal.setitimer(signal.ITIMER_REAL, 0)
    yield times
    signal.setitimer(signal.ITIMER_REAL, *saved_timer)
    signal.signal(signal.SIGALRM, saved_handler)


def wait_for(times: list[float], seconds: float) -> None:
    end = time.monotonic() + seconds
    while not times and time.monotonic() < end:
        time.sleep(0.01)


def test_a_pre_existing_timer_and_handler_survive_the_block(fired: list[float]) -> None:
    handler = signal.getsignal(signal.SIGALRM)
    signal.setitimer(signal.ITIMER_REAL, 3.0, 2.0)
    with hard_timeout(30):
        time.sleep(0.2)
        assert signal.getitimer(signal.ITIMER_REAL)[0] < 3.0  # our own (earlier) deadline is armed
    left, interval = signal.getitimer(signal.ITIMER_REAL)
    assert 2.0 < left < 2.9 and interval == 2.0  # the time it had left, and its period
    assert signal.getsignal(signal.SIGALRM) is handler
    assert fired == []


def test_an_outer_timer_due_first_fires_on_time_inside_the_block(fired: list[float]) -> None:
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    with pytest.raises(BudgetExhausted, match="hard time limit of 1 s"), hard_timeout(1.0):
        wait_for(fired, 3.0)
        assert fired and fired[0] - start < 0.6  # the outer handler ran at its own time
        time.sleep(5)  # ... and this block's own limit still holds after it
    assert time.monotonic() - start < 2.5
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # it fired once: nothing to restore
    assert len(fired) == 1


def test_an_outer_timer_that_came_due_during_the_block_fires_right_after(fired) -> None:
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    with hard_timeout(0.5), pytest.raises(BudgetExhausted):
        time.sleep(5)  # the own limit (0.5 s) ends the block ...
    assert len(fired) == 1  # ... after the outer timer (0.3 s) had its turn
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    with hard_timeout(30):
        signal.setitimer(signal.ITIMER_REAL, 0)  # something in the block cancelled the timer
        time.sleep(0.2)
    wait_for(fired[1:], 1.0)
    assert len(fired) == 2  # the outer timer, overdue on exit, still fired (late, not never)


def test_nested_limits_each_keep_their_own_deadline() -> None:
    start = time.monotonic()
    with pytest.raises(BudgetExhausted, match="of 1 s"), hard_timeout(1.0), hard_timeout(10.0):
        time.sleep(5)
    assert time.monotonic() - start < 2.5
    with hard_timeout(10.0):
        with pytest.raises(BudgetExhausted, match="of 0 s"), hard_timeout(0.3):
            time.sleep(5)
        assert 9.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 10.0  # the outer limit is back
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
