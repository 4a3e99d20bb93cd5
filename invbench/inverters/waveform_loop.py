"""The optimisation loop shared by the waveform inverters.

Each item owns its parameter tensor and its Adam state, and its loss is its own, so an item's
trajectory does not depend on its batch-mates. By default each item gets its own objective call,
which makes that exact (on a CPU batching gains nothing per item); ``stack_items`` trades that
exactness for speed on accelerators.
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


# (item index, current model input, per-item loss, teacher-forced success) -> stop this item?
StepCallback = Callable[[int, torch.Tensor, float, bool], bool]


def optimise(
    problem: InversionProblem,
    params: list[torch.Tensor],
    to_input: Callable[[int, torch.Tensor], torch.Tensor],
    after_step: Callable[[int, torch.Tensor], None],
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
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.Adam(params, lr=lr)
    traces = [ItemTrace() for _ in params]
    total = problem.max_steps(steps)
    for step in range(total):
        active = [i for i, t in enumerate(traces) if not t.done]
        if not active or problem.out_of_budget():
            break
        optimizer.zero_grad(set_to_none=True)
        groups: dict[object, list[int]] = defaultdict(list)
        for i in active:
            options = options_for(i)
            key = (params[i].shape[-1], tuple(sorted(options.items()))) if stack_items else i
            groups[key].append(i)
        for members in groups.values():
            inputs = torch.stack([to_input(i, params[i]) for i in members])
            targets = [problem.targets[i].payload for i in members]
            result = problem.forward.objective(inputs, targets, **options_for(members[0]))
            result.loss.sum().backward()
            for j, i in enumerate(members):
                loss = float(result.loss[j].detach())
                success = bool(result.success[j])
                traces[i].losses.append(loss)
                traces[i].steps += 1
                traces[i].successes += int(success)
                if on_loss(i, inputs[j].detach(), loss, success) or not math.isfinite(loss):
                    traces[i].done = True
                    params[i].grad = None  # Adam skips parameters without a gradient
        optimizer.step()
        with torch.no_grad():
            for i in active:
                if not traces[i].done:
                    after_step(i, params[i])
        problem.progress(step + 1, total)
    return traces
