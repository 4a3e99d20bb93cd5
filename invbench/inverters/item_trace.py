"""The per-item bookkeeping every optimisation loop shares (waveform, pixel and prompt loops).

An item's :class:`ItemTrace` counts its measured steps, successes and losses and says when it
stopped; :func:`item_steps` is the step schedule (the step cap, the harness budget, progress
reports); :class:`BestSoFar` keeps an item's best measurement by a key. Keeping them in one
place means every loop counts steps, stops items and reports progress the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from invbench.contracts.inversion import InversionProblem

T = TypeVar("T")


@dataclass
class ItemTrace:
    """Steps taken, the model loss at each, whether the item stopped, and its successes."""

    steps: int = 0
    done: bool = False
    losses: list[float] = field(default_factory=list)
    successes: int = 0
    first_success: int | None = None  # 1-based step of the first teacher-forced success

    def record(self, loss: float, success: bool) -> None:
        """Count one measured step: its model loss and its teacher-forced success."""
        self.steps += 1
        self.losses.append(loss)
        self.successes += int(success)
        if success and self.first_success is None:
            self.first_success = self.steps

    def stop_if(self, stop: bool) -> bool:
        """Mark the item done when ``stop`` holds or its last loss is not finite (an item that
        diverged cannot recover); returns whether it is done now."""
        if stop or not math.isfinite(self.losses[-1]):
            self.done = True
        return self.done


def item_steps(
    problem: InversionProblem, steps: int, traces: Sequence[ItemTrace]
) -> Iterator[list[int]]:
    """The indices of the unfinished items, once per optimisation step.

    At most ``problem.max_steps(steps)`` steps; ends early once every item is done or
    ``problem.out_of_budget()`` says so, and reports ``problem.progress`` after each step (when
    the loop body has run).
    """
    total = problem.max_steps(steps)
    for step in range(total):
        active = [i for i, t in enumerate(traces) if not t.done]
        if not active or problem.out_of_budget():
            return
        yield active
        problem.progress(step + 1, total)


class BestSoFar(Generic[T]):
    """The value offered with the lowest key so far (the earliest on ties); the first offer is
    always kept. ``make`` builds the value only when it is kept, so copies are paid rarely."""

    def __init__(self) -> None:
        self.key: Any = None
        self.value: T | None = None

    def offer(self, key: Any, make: Callable[[], T]) -> bool:
        """Keep ``make()`` if ``key`` beats the kept key; returns whether it was kept."""
        if self.key is not None and not key < self.key:
            return False
        self.key, self.value = key, make()
        return True
