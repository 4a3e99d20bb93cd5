"""``noise``: white noise of a plausible length — the floor every method must beat."""

from __future__ import annotations

import torch

from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter
from invbench.contracts.media import Waveform
from invbench.inverters.waveform_loop import ClipLengthConfig


class NoiseConfig(ClipLengthConfig):
    std: float = 0.1
    min_seconds: float = 1.5


class Noise(BaseInverter):
    name = "noise"
    version = "1"
    families = ("asr",)
    description = "Floor: seeded white noise, no optimisation"
    Config = NoiseConfig

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        cfg: NoiseConfig = self.settings
        rate = problem.forward.input_spec.sample_rate
        out = []
        for i, target in enumerate(problem.targets):
            n = cfg.clip_samples(target.payload["text"], rate)
            samples = (torch.randn(n, generator=problem.generator(i)) * cfg.std).clamp(-1, 1)
            out.append(Inversion(x=Waveform(samples, rate)))
        return out
