"""One Adam loop over per-item leaf tensors, shared by the waveform and pixel loops.

Each item owns its parameter tensor and its Adam state (Adam keeps per-parameter moments and
step counts, and skips a parameter whose gradient is ``None``), and its loss is its own, so an
item's trajectory does not depend on its batch-mates and a finished item is frozen exactly.
What differs between the loops — how items are grouped into objective calls, how a parameter
becomes a model input, any penalty, the projection after a step — comes in as callables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from invbench.contracts.inversion import InversionProblem
from invbench.inverters.item_trace import ItemTrace, item_steps


@dataclass
class Measured:
    """One objective call over a group of items (``members``, in order)."""

    minimised: torch.Tensor  # (n,) what the update minimises: the model loss plus any penalty
    loss: torch.Tensor  # (n,) the model's loss alone: what the trace records
    success: torch.Tensor  # (n,) the objective's teacher-forced success
    inputs: Sequence[torch.Tensor]  # the model input measured for each member


# the unfinished items of a step -> the groups that share one objective call
Grouping = Callable[[list[int]], list[list[int]]]
# a group of items -> its measurement (differentiable in the items' parameters)
Measure = Callable[[list[int]], Measured]
# (item index, the input measured this step, model loss, teacher-forced success) -> stop item?
StepCallback = Callable[[int, torch.Tensor, float, bool], bool]
# (item index, its parameter) -> None: a projection applied in place, without gradient
Projection = Callable[[int, torch.Tensor], None]


def one_call_per_item(active: list[int]) -> list[list[int]]:
    """The default grouping: every item gets its own objective call, so float reductions never
    mix batch-mates and results are bit-identical whatever the batch size."""
    return [[i] for i in active]


def optimise_items(
    problem: InversionProblem,
    params: list[torch.Tensor],
    measure: Measure,
    on_step: StepCallback,
    *,
    steps: int,
    lr: float,
    grouping: Grouping = one_call_per_item,
    after_step: Projection | None = None,
) -> list[ItemTrace]:
    """Adam on ``params`` (one leaf tensor per item, made to require gradients here).

    ``on_step`` sees every measured input before the update that follows it and returns True
    to stop the item: its gradient is then dropped, so the item keeps exactly that parameter.
    Steps follow :func:`item_steps` (step cap, budget, progress); ``after_step`` projects the
    unfinished items' parameters after each update.
    """
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.Adam(params, lr=lr)
    traces = [ItemTrace() for _ in params]
    for active in item_steps(problem, steps, traces):
        optimizer.zero_grad(set_to_none=True)
        for members in grouping(active):
            measured = measure(members)
            measured.minimised.sum().backward()
            for j, i in enumerate(members):
                loss, success = float(measured.loss[j].detach()), bool(measured.success[j])
                traces[i].record(loss, success)
                if traces[i].stop_if(on_step(i, measured.inputs[j].detach(), loss, success)):
                    params[i].grad = None  # Adam skips parameters without a gradient
        optimizer.step()
        if after_step is not None:
            with torch.no_grad():
                for i in active:
                    if not traces[i].done:
                        after_step(i, params[i])
    return traces
