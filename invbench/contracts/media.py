"""Typed containers for what inverters recover and models consume.

Each container states its value range and layout explicitly so the harness can validate inputs
instead of silently fixing them (DESIGN.md §9).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from invbench.contracts.errors import InvalidInversion


@dataclass(frozen=True)
class AudioSpec:
    """What an audio-input model accepts: mono float samples in [-1, 1] at ``sample_rate``."""

    sample_rate: int
    max_seconds: float
    value_range: tuple[float, float] = (-1.0, 1.0)


@dataclass
class Waveform:
    """A mono waveform: 1-D float tensor of samples in [-1, 1] and its sample rate in Hz."""

    samples: torch.Tensor
    sample_rate: int

    @property
    def seconds(self) -> float:
        return self.samples.shape[-1] / self.sample_rate

    def validate(self, spec: AudioSpec) -> None:
        """Raise :class:`InvalidInversion` naming the first thing that does not fit ``spec``."""
        x = self.samples
        if not isinstance(x, torch.Tensor):
            raise InvalidInversion(f"waveform samples must be a tensor, got {type(x).__name__}")
        if x.ndim != 1:
            raise InvalidInversion(f"waveform must be 1-D (mono), got shape {tuple(x.shape)}")
        if x.numel() == 0:
            raise InvalidInversion("waveform is empty")
        if self.sample_rate != spec.sample_rate:
            raise InvalidInversion(
                f"waveform sample rate is {self.sample_rate} Hz, expected {spec.sample_rate} Hz"
            )
        if not torch.isfinite(x).all():
            raise InvalidInversion("waveform contains NaN or infinite samples", status="nan")
        low, high = spec.value_range
        if x.min() < low or x.max() > high:
            raise InvalidInversion(
                f"waveform values span [{x.min():.3g}, {x.max():.3g}], "
                f"expected within [{low}, {high}]"
            )
        if self.seconds > spec.max_seconds:
            raise InvalidInversion(
                f"waveform lasts {self.seconds:.2f} s, longer than the model's {spec.max_seconds} s"
            )
