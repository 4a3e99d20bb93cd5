"""``noise``: seeded random input of a plausible shape — the floor every method must beat.

asr: white noise of a length fitted to the sentence; captioner: pixels uniform over the model's
value range. Each item draws from its own seeded generator, so results do not depend on batching.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter
from invbench.contracts.media import Image, Waveform
from invbench.inverters.waveform_loop import ClipLengthConfig


class NoiseConfig(ClipLengthConfig):
    # Waveform settings only; image noise has none (uniform over the spec's range), which keeps
    # this config — and so the asr result keys — unchanged.
    std: float = 0.1
    min_seconds: float = 1.5


def _waveform(cfg: NoiseConfig, problem: InversionProblem, i: int) -> Waveform:
    rate = problem.forward.input_spec.sample_rate
    n = cfg.clip_samples(problem.targets[i].payload["text"], rate)
    samples = (torch.randn(n, generator=problem.generator(i)) * cfg.std).clamp(-1, 1)
    return Waveform(samples, rate)


def _image(cfg: NoiseConfig, problem: InversionProblem, i: int) -> Image:
    spec = problem.forward.input_spec
    low, high = spec.value_range
    unit = torch.rand((spec.channels, spec.height, spec.width), generator=problem.generator(i))
    return Image(low + (high - low) * unit)


NOISE: dict[str, Callable[[NoiseConfig, InversionProblem, int], object]] = {
    "asr": _waveform,
    "captioner": _image,
}


class Noise(BaseInverter):
    name = "noise"
    version = "1"
    families = tuple(NOISE)
    description = "Floor: seeded random input (white noise / uniform pixels), no optimisation"
    Config = NoiseConfig

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        make = NOISE[problem.family]
        return [Inversion(x=make(self.settings, problem, i)) for i in range(len(problem))]
