"""``waveform-adam``: optimise a waveform from low noise against the ASR's teacher-forced loss.

The method the paper applies to Whisper (arXiv 2507.23010, §3): no prior on the input beyond
the sample range, so the optimum it finds is whatever the model responds to.
"""

from __future__ import annotations

import torch

from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter
from invbench.contracts.media import Waveform
from invbench.inverters.waveform_loop import (
    VerifiedSuccess,
    WaveformOptimisationConfig,
    optimise,
)


class WaveformAdamConfig(WaveformOptimisationConfig):
    init_std: float = 1e-3  # the starting noise; an item that fails the full-window check
    # continues on the full-window objective until it succeeds or runs out of steps


class WaveformAdam(BaseInverter):
    name = "waveform-adam"
    version = "1"
    families = ("asr",)
    description = "Adam on raw samples from low noise against the teacher-forced loss (paper)"
    Config = WaveformAdamConfig

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        cfg: WaveformAdamConfig = self.settings
        rate = problem.forward.input_spec.sample_rate
        params = []
        for i, target in enumerate(problem.targets):
            n = cfg.clip_samples(target.payload["text"], rate)
            noise = torch.randn(n, generator=problem.generator(i)) * cfg.init_std
            params.append(noise.clamp(-1.0, 1.0))

        reached = VerifiedSuccess(problem, cfg.objective_options(), cfg.stop_loss, cfg.verify_every)

        traces = optimise(
            problem,
            params,
            to_input=lambda i, p: p,
            after_step=lambda i, p: p.clamp_(-1.0, 1.0),
            on_loss=reached,
            steps=cfg.steps,
            lr=cfg.lr,
            options_for=reached.options_for,
            stack_items=cfg.stack_items,
        )
        return [
            Inversion(
                x=Waveform(p.detach().clone(), rate),
                steps=t.steps,
                loss_trace=t.losses,
                info={"stopped_early": t.done, "switched_to_full_window": i in reached.escalated},
            )
            for i, (p, t) in enumerate(zip(params, traces, strict=True))
        ]
