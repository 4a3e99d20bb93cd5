"""``pixels-perturb``: a targeted perturbation of a natural image, Show-and-Fool style.

After Chen et al., "Attacking Visual Language Grounding with Adversarial Examples: A Case Study on
Neural Image Captioning" (Show-and-Fool, ACL 2018), itself built on Carlini & Wagner (2017):
start from the reference render of *another* target (the task's carrier), reach the image
through a sigmoid box (no clipping), and minimise ``loss + c · mean((x − carrier)²)``. Instead of
restarting for a binary search over ``c`` (which would spend the budget several times), ``c`` is
adapted per item during the one run: doubled after a window of steps that contained a success
(pull closer to the carrier), halved after a window without (let the caption loss win). The
closest successful image is kept.
"""

from __future__ import annotations

import torch

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter
from invbench.contracts.media import Image
from invbench.inverters.pixels_loop import PixelOptimisationConfig, optimise_pixels


class PixelsPerturbConfig(PixelOptimisationConfig):
    steps: int = 200
    lr: float = 0.05
    c: float = 10.0  # initial weight of the mean squared pixel distance to the carrier
    adapt_every: int = 20  # steps per window after which c is doubled or halved
    c_factor: float = 2.0


class PixelsPerturb(BaseInverter):
    name = "pixels-perturb"
    version = "1"
    families = ("captioner",)
    description = "Show-and-Fool: distance-penalised perturbation of another target's image"
    Config = PixelsPerturbConfig

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        cfg: PixelsPerturbConfig = self.settings
        if problem.carriers is None:
            raise InvbenchError(
                f"pixels-perturb needs carrier images, but task {problem.task} offers none"
            )
        carriers = [c.pixels.detach().float().to(problem.device) for c in problem.carriers]
        weights = [cfg.c] * len(carriers)
        window_hit = [False] * len(carriers)
        seen = [0] * len(carriers)
        best: list[tuple[float, torch.Tensor] | None] = [None] * len(carriers)

        def distance(i: int, x: torch.Tensor) -> torch.Tensor:
            return (x - carriers[i]).square().mean()

        def on_step(i: int, x: torch.Tensor, loss: float, success: bool) -> bool:
            if success:
                window_hit[i] = True
                d = float(distance(i, x))
                if best[i] is None or d < best[i][0]:
                    best[i] = (d, x.clone())
            seen[i] += 1
            if seen[i] % cfg.adapt_every == 0:
                factor = cfg.c_factor if window_hit[i] else 1.0 / cfg.c_factor
                weights[i] *= factor
                window_hit[i] = False
            return False  # keep shrinking the perturbation until the budget ends

        finals, traces = optimise_pixels(
            problem, carriers, cfg, on_step, penalty=lambda i, x: weights[i] * distance(i, x)
        )
        inversions = []
        for i, trace in enumerate(traces):
            x = best[i][1].cpu() if best[i] is not None else finals[i]
            inversions.append(
                Inversion(
                    x=Image(x),
                    carrier=problem.carriers[i],
                    steps=trace.steps,
                    loss_trace=trace.losses,
                    info={
                        "reached_target": best[i] is not None,
                        "first_success_step": trace.first_success,
                        "mse_to_carrier": float(distance(i, x.to(problem.device))),
                        "final_c": weights[i],
                    },
                )
            )
        return inversions
