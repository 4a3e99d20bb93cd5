"""The settings and the optimisation loop shared by the pixel-space (``captioner``) inverters.

The loop is :func:`~invbench.inverters.optimisation_loop.optimise_items`: each item owns its
latent tensor and its Adam state, so an item's trajectory does not depend on its batch-mates and
a finished item is frozen exactly. By default each item gets its own objective call, which makes
results bit-identical across batch sizes; ``stack_items`` trades that exactness for speed on
accelerators.

Pixels are reached through a fixed map from an unconstrained latent (``parameterisation``), so
every image the loop produces lies in [0, 1] without clipping away the gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch

from invbench.contracts.inversion import InversionProblem
from invbench.contracts.inverter import InverterConfig
from invbench.inverters.item_trace import ItemTrace
from invbench.inverters.optimisation_loop import (
    Measured,
    StepCallback,
    one_call_per_item,
    optimise_items,
)

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
    latents = [to_latent(x.to(problem.device), mode) for x in start]

    def measure(members: list[int]) -> Measured:
        images = [to_pixels(latents[i], mode) for i in members]
        result = problem.forward.objective(
            torch.stack(images), [problem.targets[i].payload["text"] for i in members]
        )
        loss = result.loss
        if penalty is not None:
            loss = loss + torch.stack([penalty(i, x) for i, x in zip(members, images, strict=True)])
        return Measured(loss, result.loss, result.success, images)

    traces = optimise_items(
        problem,
        latents,
        measure,
        on_step,
        steps=cfg.steps,
        lr=cfg.lr,
        grouping=(lambda active: [active]) if cfg.stack_items else one_call_per_item,
        after_step=(lambda i, z: z.clamp_(0.0, 1.0)) if mode == "clamp" else None,
    )
    finals = [to_pixels(z.detach(), mode).cpu().clone() for z in latents]
    return finals, traces
