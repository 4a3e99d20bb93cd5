"""``pixels-adam``: optimise an image from uniform noise against the caption's teacher-forced loss.

The method the paper applies to BLIP (arXiv 2507.23010, §3): no prior on the image beyond the
pixel range, so the optimum it finds is whatever the captioner responds to. An item stops once
the objective reports success on ``confirm_steps`` + 1 consecutive steps: the extra steps widen
the margin of the target tokens, so the success survives small numerical differences between
the teacher-forced check and the greedy decoding that scoring runs.
"""

from __future__ import annotations

from typing import Literal

import torch

from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter
from invbench.contracts.media import Image
from invbench.inverters.pixels_loop import PixelOptimisationConfig, optimise_pixels


class PixelsAdamConfig(PixelOptimisationConfig):
    init: Literal["uniform"] = "uniform"  # seeded pixels uniform over [0, 1], per target
    confirm_steps: int = 2  # consecutive successful steps after the first before stopping


class PixelsAdam(BaseInverter):
    name = "pixels-adam"
    version = "1"
    families = ("captioner",)
    description = "Adam on pixels (sigmoid latent) from uniform noise against the caption loss"
    Config = PixelsAdamConfig

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        cfg: PixelsAdamConfig = self.settings
        spec = problem.forward.input_spec
        shape = (spec.channels, spec.height, spec.width)
        start = [torch.rand(shape, generator=problem.generator(i)) for i in range(len(problem))]
        streaks = [0] * len(start)
        kept: list[torch.Tensor | None] = [None] * len(start)

        def on_step(i: int, x: torch.Tensor, loss: float, success: bool) -> bool:
            # Keep the latest image the objective confirmed, in case the budget ends mid-streak.
            streaks[i] = streaks[i] + 1 if success else 0
            if success:
                kept[i] = x.cpu().clone()
            return streaks[i] > cfg.confirm_steps

        finals, traces = optimise_pixels(problem, start, cfg, on_step)
        return [
            Inversion(
                x=Image(kept[i] if kept[i] is not None else finals[i]),
                steps=trace.steps,
                loss_trace=trace.losses,
                info={
                    "stopped_early": trace.done,
                    "reached_target": kept[i] is not None,
                    "first_success_step": trace.first_success,
                },
            )
            for i, trace in enumerate(traces)
        ]
