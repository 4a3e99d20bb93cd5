"""A helper model that an inverter builds once, on the first problem's device (the bridges)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from invbench.contracts.inversion import InversionProblem

M = TypeVar("M")


class OnFirstProblem(Generic[M]):
    """``helper(problem)``: the model ``build(device)`` made for the first problem, kept after.

    Bridges call another model (a captioner, a generator, an ASR model, a TTS); building it
    lazily keeps listing and configuring an inverter cheap and puts the model on the device the
    harness chose for the run.
    """

    def __init__(self, build: Callable[[str], M]) -> None:
        self._build = build
        self.model: M | None = None

    def __call__(self, problem: InversionProblem) -> M:
        if self.model is None:
            self.model = self._build(str(problem.device))
        return self.model
