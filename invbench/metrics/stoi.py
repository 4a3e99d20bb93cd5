r"""STOI: short-time objective intelligibility of the recovered audio against a reference.

STOI (Taal et al., ICASSP 2010; IEEE TASLP 2011) resamples both signals to 10 kHz, drops the frames
where the reference is more than 40 dB below its loudest frame, and takes one-third-octave band
envelopes :math:`x_{j,m}, y_{j,m}` (15 bands from 150 Hz). For every band :math:`j` and every
384 ms segment ending at frame :math:`m` (:math:`N = 30` frames) the degraded envelope is scaled to
the reference's energy and clipped at a signal-to-distortion floor of :math:`\beta = -15` dB,
giving :math:`\bar y_{j,m}`; the score is the mean correlation

.. math::
    \mathrm{STOI} = \frac{1}{JM} \sum_{j,m}
    \frac{(x_{j,m} - \mu_{x_{j,m}})^\top (\bar y_{j,m} - \mu_{\bar y_{j,m}})}
         {\lVert x_{j,m} - \mu_{x_{j,m}} \rVert \, \lVert \bar y_{j,m} - \mu_{\bar y_{j,m}} \rVert}

Its nominal range is [0, 1] (higher is more intelligible); being a mean correlation it can dip a
little below 0 for unrelated signals, so the declared range is [-1, 1].

**When it is meaningful.** STOI is intrusive: it reads the audio as a degraded copy of the
reference *recording*, frame by frame (pystoi requires equal lengths, and removes silent frames
of both signals where the reference is silent). It says nothing about audio that merely speaks
the same words: unrelated audio does not score 0 (the clipping step pulls each envelope towards
the reference's), e.g. white noise of a transcripts-mini clip's length scores about 0.36-0.40
against it and another recording about 0.16. So an item is scored only when its audio has the
reference's exact length and sample rate; other audio (a carrier of another sentence padded to
4 s, a TTS rendering, noise of another length) gets an input error naming the lengths instead of
a number. Version 1 zero-padded or trimmed the audio to the reference's length, which let such
unaligned audio through. Computed by pystoi with ``extended=False``.

Example:
    >>> import torch
    >>> from invbench.contracts.media import Waveform
    >>> from invbench.metrics.stoi import STOI
    >>> g = torch.Generator().manual_seed(0)
    >>> t = torch.arange(48000) / 16000
    >>> clean = 0.4 * torch.sin(2 * torch.pi * 150 * t) * torch.sin(2 * torch.pi * 3 * t).abs()
    >>> noisy = (clean + 0.05 * torch.randn(48000, generator=g)).clamp(-1, 1)
    >>> audio, reference = Waveform(noisy, 16000), Waveform(clean, 16000)
    >>> score = STOI().score_item(audio=audio, reference_audio=reference)
    >>> 0.0 < score["stoi"] < 1.0
    True
"""

from __future__ import annotations

import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar

import numpy as np

from invbench.contracts.media import Waveform
from invbench.contracts.metric import Metric, MetricInputError, MetricOutput
from invbench.metrics.audio_input import checked_samples


def _pystoi_version() -> str:
    try:
        return version("pystoi")
    except PackageNotFoundError:  # pragma: no cover - pystoi is a hard dependency
        return "unknown"


PYSTOI_RATE = 10_000  # pystoi resamples to 10 kHz, then frames 256 samples with a 128 hop
MIN_FRAMES_SAMPLES = 29 * 128 + 256  # 30 frames; shorter input crashes pystoi's framing


def stoi(reference: np.ndarray, degraded: np.ndarray, sample_rate: int) -> float:
    """Classic (non-extended) STOI of ``degraded`` against ``reference`` (equal lengths).

    Raises :class:`MetricInputError` when the lengths differ (the audio is then no sample-aligned
    degradation of the reference), when the reference is silent, or when fewer than 30 frames
    (384 ms) are left after silent-frame removal — where pystoi would warn and return 1e-5.
    """
    from pystoi import stoi as pystoi_stoi

    if degraded.shape != reference.shape:
        raise MetricInputError(
            f"audio has {degraded.shape[-1]} samples but reference_audio has "
            f"{reference.shape[-1]}; STOI compares a degraded copy of the reference recording "
            "sample by sample and is not meaningful for audio of another length"
        )
    if not np.any(reference):
        raise MetricInputError("reference_audio is digital silence (all zeros); STOI is undefined")
    if reference.shape[-1] * PYSTOI_RATE < MIN_FRAMES_SAMPLES * sample_rate:
        raise MetricInputError(
            f"reference lasts {reference.shape[-1] / sample_rate:.3f} s, shorter than the 30 "
            "STFT frames (0.397 s) STOI needs; STOI is undefined"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = float(pystoi_stoi(reference, degraded, sample_rate, extended=False))
    if any("Not enough STFT frames" in str(w.message) for w in caught):
        raise MetricInputError(
            "reference has under 30 non-silent STFT frames (about 384 ms of speech); "
            "STOI is undefined"
        )
    return value


class STOI(Metric):
    """Short-time objective intelligibility of the recovered audio vs the reference rendering.

    Both waveforms must share one sample rate (pystoi resamples both to 10 kHz internally) and
    one length. Items whose target has no reference rendering are not scored (``{}``).
    """

    name: ClassVar[str] = "stoi"
    description: ClassVar[str] = "short-time objective intelligibility of the audio vs reference"
    requires: ClassVar[tuple[str, ...]] = ("audio", "reference_audio")
    version: ClassVar[str] = "2"  # 2: equal lengths required (1: audio padded/trimmed to fit)
    reference: ClassVar[str] = "pystoi"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("stoi", True, (-1.0, 1.0), "mean envelope correlation, nominally in [0, 1]"),
    )

    def settings(self) -> dict[str, Any]:
        return {
            "extended": "no",
            "length": "must-match",
            "pystoi": _pystoi_version(),
        }

    def score_item(
        self, audio: Waveform, reference_audio: Waveform | None = None, **_: Any
    ) -> dict[str, float]:
        if reference_audio is None:
            return {}
        reference = checked_samples(reference_audio, "reference_audio")
        rate = reference_audio.sample_rate
        degraded = checked_samples(audio, "audio", rate)
        return {"stoi": stoi(reference, degraded, rate)}
