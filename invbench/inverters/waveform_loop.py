"""The settings and the optimisation loop shared by the waveform inverters.

The loop is :func:`~invbench.inverters.optimisation_loop.optimise_items` (each item owns its
parameter tensor and Adam state, and its loss is its own, so an item's trajectory does not depend
on its batch-mates). By default each item gets its own objective call, which makes that exact
(on a CPU batching gains nothing per item); ``stack_items`` trades that exactness for speed on
accelerators.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from typing import Literal

import torch

from invbench.contracts.inversion import InversionProblem
from invbench.contracts.inverter import InverterConfig
from invbench.inverters.item_trace import ItemTrace
from invbench.inverters.optimisation_loop import (
    Measured,
    Projection,
    StepCallback,
    one_call_per_item,
    optimise_items,
)


class ClipLengthConfig(InverterConfig):
    """How long a waveform an inverter makes for a target sentence."""

    seconds_per_word: float = 0.35
    min_seconds: float = 4.0  # shorter clips optimised on the fitted encoder do not transfer
    max_seconds: float = 8.0

    def clip_samples(self, text: str, sample_rate: int) -> int:
        """From the target's word count, rounded up to 0.5 s so lengths repeat across items."""
        seconds = 0.5 + self.seconds_per_word * len(text.split())
        seconds = min(max(self.min_seconds, seconds), self.max_seconds)
        return int(math.ceil(seconds * 2) / 2 * sample_rate)


class WaveformOptimisationConfig(ClipLengthConfig):
    """Settings shared by the inverters that optimise a waveform against the ASR objective."""

    steps: int = 150
    lr: float = 2e-3
    # "fit" runs the encoder only over the frames the audio occupies (a cheaper objective);
    # scoring always uses the standard 30-second window, so this is recorded, never hidden.
    encoder_frames: Literal["fit", "full"] = "fit"
    # A success counts once the loss is below stop_loss and the model produces the target on
    # the full 30-s window too (a no-grad check every verify_every candidate steps).
    stop_loss: float = 0.25
    verify_every: int = 5
    stack_items: bool = False  # one objective call per group of equal-length items (GPU speed)

    def objective_options(self) -> dict:
        return {"encoder_frames": self.encoder_frames} if self.encoder_frames != "full" else {}


class VerifiedSuccess:
    """Decides when an item has *really* reached its target, for inverters that optimise a
    cheaper objective (``encoder_frames="fit"``) than the one scoring uses.

    A success on the cheap objective is confirmed by a no-grad pass on the default (full-window)
    objective, at most every ``verify_every`` candidate steps. With ``escalate``, an item whose
    confirmation fails is switched to the default objective for the rest of its steps: cheap
    optima that do not transfer are then polished where it matters. That suits inverters that
    stop at success; one that keeps optimising after success would pay the expensive objective
    for all its remaining steps. Every pass is counted against the budget.
    """

    def __init__(
        self,
        problem: InversionProblem,
        options: dict,
        stop_loss: float,
        verify_every: int,
        escalate: bool = True,
    ) -> None:
        self.problem, self.options = problem, options
        self.stop_loss, self.verify_every, self.escalate = stop_loss, verify_every, escalate
        self.candidates = [0] * len(problem.targets)
        self.escalated: set[int] = set()

    def options_for(self, i: int) -> dict:
        return {} if i in self.escalated else self.options

    def __call__(self, i: int, x: torch.Tensor, loss: float, success: bool) -> bool:
        if not (success and loss < self.stop_loss):
            return False
        if not self.options_for(i):
            return True  # measured on the default objective already
        self.candidates[i] += 1
        if (self.candidates[i] - 1) % self.verify_every:
            return False
        with torch.no_grad():
            full = self.problem.forward.objective(x[None], [self.problem.targets[i].payload])
        if bool(full.success[0]) and float(full.loss[0]) < self.stop_loss:
            return True
        if self.escalate:
            self.escalated.add(i)
        return False


def optimise(
    problem: InversionProblem,
    params: list[torch.Tensor],
    to_input: Callable[[int, torch.Tensor], torch.Tensor],
    after_step: Projection,
    on_loss: StepCallback,
    *,
    steps: int,
    lr: float,
    options_for: Callable[[int], dict],
    stack_items: bool = False,
) -> list[ItemTrace]:
    """Adam on ``params`` (one leaf tensor per item) against the model's objective.

    ``to_input`` maps an item's parameter to the model input; ``on_loss`` sees every measured
    loss and returns True to stop the item; ``after_step`` projects the parameter in place.
    Stops early when the harness budget says so. With ``stack_items``, items of equal length
    share one objective call (faster on a GPU); the float reductions of a stacked call depend on
    its batch-mates, so only the default (one call per item) makes results exactly independent
    of the batch size.
    """

    def stacked(active: list[int]) -> list[list[int]]:
        groups: dict[object, list[int]] = defaultdict(list)
        for i in active:
            groups[(params[i].shape[-1], tuple(sorted(options_for(i).items())))].append(i)
        return list(groups.values())

    def measure(members: list[int]) -> Measured:
        inputs = torch.stack([to_input(i, params[i]) for i in members])
        targets = [problem.targets[i].payload for i in members]
        result = problem.forward.objective(inputs, targets, **options_for(members[0]))
        return Measured(result.loss, result.loss, result.success, inputs)

    return optimise_items(
        problem,
        params,
        measure,
        on_loss,
        steps=steps,
        lr=lr,
        grouping=stacked if stack_items else one_call_per_item,
        after_step=after_step,
    )
