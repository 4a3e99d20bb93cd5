"""The check every audio metric makes before reading samples."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from invbench.contracts.errors import InvalidInversion
from invbench.contracts.media import AudioSpec, Waveform
from invbench.contracts.metric import MetricInputError


def checked_samples(wave: Any, field: str, sample_rate: int | None = None,
                    dtype: type = np.float64, note: str = "") -> np.ndarray:
    """``wave``'s samples as a numpy array, or :class:`MetricInputError` naming ``field`` and
    what is wrong (not a Waveform, a rate other than ``sample_rate``, NaN, out of range).
    ``sample_rate=None`` accepts the wave's own rate. Never resamples."""
    if not isinstance(wave, Waveform):
        raise MetricInputError(f"{field} must be a Waveform, got {type(wave).__name__}")
    rate = wave.sample_rate if sample_rate is None else sample_rate
    try:
        wave.validate(AudioSpec(sample_rate=rate, max_seconds=math.inf))
    except InvalidInversion as exc:
        raise MetricInputError(f"{field}: {exc}{note}") from None
    return wave.samples.detach().cpu().numpy().astype(dtype, copy=False)
