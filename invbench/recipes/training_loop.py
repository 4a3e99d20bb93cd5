"""The one training loop every mini-zoo recipe runs.

A recipe supplies what is its own (how a batch becomes a loss, how the model is validated) and
the loop does the rest, the same way for every model: the steps under a progress bar and an
optional wall-time cap, the scheduled learning rate, the clipped optimiser step, the exponential
moving average of the weights, validation every ``val_every`` steps and at the last one, and the
``training`` summary the zoo manifest records. :func:`training_session` fixes the CPU thread
count and torch's deterministic algorithms for the run and restores the caller's afterwards.

The order of operations inside a step is part of the shipped weights' identity: the same seed
only reproduces them bit for bit while every recipe draws its batch, computes its loss, and
updates the weights in exactly this order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

# A recipe's step: the loss of step ``i`` and what the progress bar shows beside it.
StepLoss = Callable[[int], tuple[torch.Tensor, dict[str, str]]]
# A recipe's validation after ``steps`` steps: the history entry and a line for the log.
Validate = Callable[[int], tuple[dict[str, Any], str]]


@contextmanager
def training_session(threads: int, deterministic: bool = True) -> Iterator[None]:
    """Run the body on ``threads`` CPU threads, with torch's deterministic algorithms when
    ``deterministic`` (the recipes that ship bit-reproducible weights); the caller's thread
    count and determinism flag come back on exit."""
    caller_threads = torch.get_num_threads()
    caller_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    if deterministic:
        torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(caller_deterministic)
        torch.set_num_threads(caller_threads)


def ema_update(ema: torch.nn.Module, net: torch.nn.Module, step: int, decay: float) -> None:
    """Move the averaged weights toward the trained ones (the decay warms up over early steps,
    so the average does not remember the initialisation)."""
    with torch.no_grad():
        rate = min(decay, (step + 1) / (step + 10))
        for e, p in zip(ema.parameters(), net.parameters(), strict=True):
            e.lerp_(p, 1 - rate)


def adamw(
    net: torch.nn.Module, lr: float, weight_decay: float,
    exempt: Callable[[str, torch.nn.Parameter], bool] | None = None,
) -> torch.optim.AdamW:
    """AdamW over ``net``'s parameters; those ``exempt(name, parameter)`` names (biases, norms,
    positional tables) are left without weight decay, in a second parameter group."""
    if exempt is None:
        return torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    named = list(net.named_parameters())
    return torch.optim.AdamW(
        [
            {"params": [p for n, p in named if not exempt(n, p)], "weight_decay": weight_decay},
            {"params": [p for n, p in named if exempt(n, p)], "weight_decay": 0.0},
        ],
        lr=lr,
    )


@dataclass
class Optimiser:
    """What one step updates: ``net`` by ``optimizer`` at ``learning_rate(step)`` with the
    gradient norm clipped to ``grad_clip``; then ``after_step`` (e.g. a clamp on a learned
    temperature) and, with an ``ema`` model, its average of the weights."""

    net: torch.nn.Module
    optimizer: torch.optim.Optimizer
    learning_rate: Callable[[int], float]
    grad_clip: float
    ema: torch.nn.Module | None = None
    ema_decay: float = 0.0
    after_step: Callable[[], None] | None = None

    def step(self, loss: torch.Tensor, step: int) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate(step)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.grad_clip)
        self.optimizer.step()
        if self.after_step is not None:
            self.after_step()
        if self.ema is not None:
            ema_update(self.ema, self.net, step, self.ema_decay)


@dataclass
class LoopOutcome:
    """What a run did: steps taken, seconds since ``started``, whether the time cap stopped it,
    the validation history and every step's loss."""

    steps: int
    seconds: float
    stopped_early: bool
    history: list[dict[str, Any]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)

    def training_record(self, batch_size: int, **facts: Any) -> dict[str, Any]:
        """The manifest's ``training``: seconds, the recipe's own ``facts`` (e.g. how long its
        data took), steps, samples seen and whether the time cap stopped the run."""
        return {
            "seconds": round(self.seconds, 1),
            **facts,
            "steps": self.steps,
            "samples_seen": self.steps * batch_size,
            "stopped_early": self.stopped_early,
        }


def run_training(
    name: str,
    steps: int,
    step_loss: StepLoss,
    optimiser: Optimiser,
    *,
    started: float,
    minutes: float | None = None,
    val_every: int = 0,
    validate: Validate | None = None,
    progress: bool = True,
) -> LoopOutcome:
    """Train for ``steps`` steps (fewer once ``minutes`` have passed since ``started``: such a
    run is not reproducible and its outcome says so), validating every ``val_every`` steps and
    after the last."""
    from tqdm.auto import tqdm

    outcome = LoopOutcome(steps=0, seconds=0.0, stopped_early=False)
    bar = tqdm(range(steps), desc=f"train {name}", unit="step", disable=not progress)
    for step in bar:
        if minutes is not None and time.perf_counter() - started > minutes * 60:
            outcome.stopped_early = True
            break
        optimiser.net.train()
        loss, postfix = step_loss(step)
        optimiser.step(loss, step)
        outcome.losses.append(loss.item())
        outcome.steps = step + 1
        if validate is not None and (outcome.steps % val_every == 0 or outcome.steps == steps):
            entry, message = validate(outcome.steps)
            outcome.history.append(entry)
            bar.write(f"step {outcome.steps}: {message}")
        bar.set_postfix(postfix)
    outcome.seconds = time.perf_counter() - started
    return outcome
