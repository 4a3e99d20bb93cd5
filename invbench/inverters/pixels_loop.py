"""The optimisation loop shared by the pixel-space (``captioner`` family) inverters.

Each item owns its latent tensor and its Adam state (Adam keeps per-parameter moments and step
counts, and skips a parameter whose gradient is ``None``), and its loss is its own, so an item's
trajectory does not depend on its batch-mates and a finished item is frozen exactly. By default
each item gets its own objective call, which makes results bit-identical across batch sizes;
``stack_items`` trades that exactness for speed on accelerators.

Pixels are reached through a fixed map from an unconstrained latent (``parameterisation``), so
every image the loop produces lies in [0, 1] without clipping away the gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch

from invbench.contracts.inversion import InversionProblem
from invbench.contracts.inverter import InverterConfig
from invbench.inverters.item_trace import ItemTrace

Parameterisation = Literal["sigmoid", "clamp"]
_EDGE = 1e-3  # pixels are kept this far inside (0, 1) before a logit, so latents stay finite


class PixelOptimisationConfig(InverterConfig):
    """Settings shared by the inverters that optimise pixels against the captioner objective."""

    steps: int = 300
    lr: float = 0.1  # Adam step size in latent units (logits for "sigmoid", pixels for "clamp")
    # "sigmoid": pixels = sigmoid(latent), unconstrained and always inside (0, 1);
    # "clamp": the latent is the pixels, clamped to [0, 1] after every step (projected Adam).
    parameterisation: Parameterisation = "sigmoid"
    stack_items: bool = False  # one objective call for all unfinished items (GPU speed)


def to_latent(pixels: torch.Tensor, parameterisation: Parameterisation) -> torch.Tensor:
    """The latent whose image is ``pixels`` (up to the ``_EDGE`` margin for ``sigmoid``)."""
    x = pixels.detach().float()
    if parameterisation == "sigmoid":
        return torch.logit(x.clamp(_EDGE, 1.0 - _EDGE))
    return x.clamp(0.0, 1.0).clone()


def to_pixels(latent: torch.Tensor, parameterisation: Parameterisation) -> torch.Tensor:
    """The image of a latent; differentiable, always in [0, 1]."""
    return torch.sigmoid(latent) if parameterisation == "sigmoid" else latent


# (item index, the image measured this step, model loss, teacher-forced success) -> stop item?
StepCallback = Callable[[int, torch.Tensor, float, bool], bool]
# (item index, its differentiable image) -> a scalar added to its loss (e.g. a distance penalty)
Penalty = Callable[[int, torch.Tensor], torch.Tensor]


def optimise_pixels(
    problem: InversionProblem,
    start: list[torch.Tensor],
    cfg: PixelOptimisationConfig,
    on_step: StepCallback,
    penalty: Penalty | None = None,
) -> tuple[list[torch.Tensor], list[ItemTrace]]:
    """Adam from the images ``start`` against ``problem.forward.objective`` (+ ``penalty``).

    ``on_step`` sees every measured image, before the update that follows it, and returns True
    to stop the item: the item then keeps exactly that image. Steps are capped by
    ``problem.max_steps`` and the loop ends as soon as ``problem.out_of_budget()`` says so.
    Latents live on ``problem.device``; ``on_step`` gets images there. Returns each item's final
    image on the CPU (a measured one for stopped items, the last update for the others) and its
    trace; loss traces hold the model's loss without the penalty, so they are comparable across
    inverters.
    """
    mode = cfg.parameterisation
    latents = [to_latent(x.to(problem.device), mode).requires_grad_(True) for x in start]
    optimizer = torch.optim.Adam(latents, lr=cfg.lr)
    traces = [ItemTrace() for _ in latents]
    total = problem.max_steps(cfg.steps)
    for step in range(total):
        active = [i for i, t in enumerate(traces) if not t.done]
        if not active or problem.out_of_budget():
            break
        optimizer.zero_grad(set_to_none=True)
        groups = [active] if cfg.stack_items else [[i] for i in active]
        for members in groups:
            images = [to_pixels(latents[i], mode) for i in members]
            result = problem.forward.objective(
                torch.stack(images), [problem.targets[i].payload["text"] for i in members]
            )
            loss = result.loss
            if penalty is not None:
                loss = loss + torch.stack(
                    [penalty(i, x) for i, x in zip(members, images, strict=True)]
                )
            loss.sum().backward()
            for j, i in enumerate(members):
                trace = traces[i]
                value, success = float(result.loss[j].detach()), bool(result.success[j])
                trace.steps += 1
                trace.losses.append(value)
                trace.successes += int(success)
                if success and trace.first_success is None:
                    trace.first_success = trace.steps
                if on_step(i, images[j].detach(), value, success) or not math.isfinite(value):
                    trace.done = True
                    latents[i].grad = None  # Adam skips it: the item keeps the measured image
        optimizer.step()
        if mode == "clamp":
            with torch.no_grad():
                for i in active:
                    if not traces[i].done:
                        latents[i].clamp_(0.0, 1.0)
        problem.progress(step + 1, total)
    finals = [to_pixels(z.detach(), mode).cpu().clone() for z in latents]
    return finals, traces
