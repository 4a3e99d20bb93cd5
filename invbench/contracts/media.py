"""Typed containers for what inverters recover and models consume.

Each container states its value range and layout explicitly so the harness can validate inputs
instead of silently fixing them (docs/contracts.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from invbench.contracts.errors import InvalidInversion


def check_finite_in_range(
    x: torch.Tensor, value_range: tuple[float, float], what: str, unit: str
) -> None:
    """NaN/inf is status ``nan``; values outside ``value_range`` are an error naming the span."""
    if not torch.isfinite(x).all():
        raise InvalidInversion(f"{what} contains NaN or infinite {unit}", status="nan")
    low, high = value_range
    if x.min() < low or x.max() > high:
        raise InvalidInversion(
            f"{what} values span [{x.min():.3g}, {x.max():.3g}], expected within [{low}, {high}]"
        )


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
        check_finite_in_range(x, spec.value_range, "waveform", "samples")
        if self.seconds > spec.max_seconds:
            raise InvalidInversion(
                f"waveform lasts {self.seconds:.2f} s, longer than the model's {spec.max_seconds} s"
            )


@dataclass(frozen=True)
class ImageSpec:
    """What an image-input model accepts: ``(channels, height, width)`` floats in a range."""

    height: int
    width: int
    channels: int = 3
    value_range: tuple[float, float] = (0.0, 1.0)


@dataclass
class Image:
    """An RGB image: a ``(3, H, W)`` float tensor with values in [0, 1] (no normalisation).

    Models that need another range or normalisation (e.g. BLIP's processor statistics) convert
    inside their own code, so every inverter works in the same [0, 1] pixel space.
    """

    pixels: torch.Tensor

    def validate(self, spec: ImageSpec) -> None:
        """Raise :class:`InvalidInversion` naming the first thing that does not fit ``spec``."""
        x = self.pixels
        if not isinstance(x, torch.Tensor):
            raise InvalidInversion(f"image pixels must be a tensor, got {type(x).__name__}")
        expected = (spec.channels, spec.height, spec.width)
        if tuple(x.shape) != expected:
            raise InvalidInversion(
                f"image has shape {tuple(x.shape)}, expected {expected} (C, H, W)"
            )
        if not x.is_floating_point():
            raise InvalidInversion(f"image pixels must be floating point, got {x.dtype}")
        check_finite_in_range(x, spec.value_range, "image", "pixels")
