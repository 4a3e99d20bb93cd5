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
from dataclasses import dataclass, field

import torch

from invbench.contracts.inversion import InversionProblem


def planned_samples(text: str, sample_rate: int, seconds_per_word: float, min_s: float,
                    max_s: float) -> int:
    """A waveform length from the target's word count, rounded up to 0.5 s so that items of
    similar length share objective calls."""
    seconds = min(max(min_s, 0.5 + seconds_per_word * len(text.split())), max_s)
    return int(math.ceil(seconds * 2) / 2 * sample_rate)


@dataclass
class ItemTrace:
    steps: int = 0
    done: bool = False
    losses: list[float] = field(default_factory=list)
    successes: int = 0


def full_window_success(problem: InversionProblem, i: int, x: torch.Tensor, stop_loss: float,
                        options: dict) -> bool:
    """Whether item ``i``'s input ``x`` already works under the objective's *default* window.

    Inverters that optimise a cheaper objective (e.g. ``encoder_frames="fit"``) confirm success
    on the full window before stopping; a no-grad forward pass, counted like any other.
    """
    if not options:
        return True  # already optimising the default objective
    with torch.no_grad():
        result = problem.forward.objective(x[None], [problem.targets[i].payload])
    return bool(result.success[0]) and float(result.loss[0]) < stop_loss


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
    objective_options: dict,
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
        groups: dict[int, list[int]] = defaultdict(list)
        for i in active:
            groups[params[i].shape[-1] if stack_items else i].append(i)
        for members in groups.values():
            inputs = torch.stack([to_input(i, params[i]) for i in members])
            targets = [problem.targets[i].payload for i in members]
            result = problem.forward.objective(inputs, targets, **objective_options)
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
