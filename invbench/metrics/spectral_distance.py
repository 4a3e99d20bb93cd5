r"""Time-aligned spectral distance of re-synthesised speech: log-mel DTW, and its projection gap.

For a text → speech model the harness re-synthesises audio from what the inverter recovered:
``audio`` from the hard prompt, ``soft_audio`` from the soft embeddings (when there are any). Each
is compared with the target clip ``reference_audio``. Two renderings of the same text differ in
timing, so frames are aligned by dynamic time warping before they are compared.

**Front end** (owned by the metric, float64): 16 kHz mono samples, zero-padded by ``n_fft // 2``
at both ends (``librosa.stft(center=True, pad_mode="constant")``), framed with ``n_fft`` = 512,
hop 160 (10 ms) and a periodic Hann window of 400 samples (25 ms) centred in the 512-point frame;
power spectrum :math:`|X_t(f)|^2`; 80 mel bands of Slaney-style filters (Slaney mel scale, 0 to
8000 Hz, each triangle scaled to unit area, as ``librosa.filters.mel(sr=16000, n_fft=512,
n_mels=80)`` builds them); then

.. math::
    L_t = \log_{10} \max\big(M X_t, 10^{-10}\big) \in \mathbb{R}^{80}

The floor :math:`10^{-10}` (-100 dB of power) keeps digital silence finite: a silent band reads
-10. A clip of :math:`n` samples gives :math:`1 + \lfloor n / 160 \rfloor` frames.

**DTW** between :math:`a_{1..N}` and :math:`b_{1..M}` (``dtw_distance``): local cost
:math:`c(i, j) = \lVert a_i - b_j \rVert_2`; steps (1, 0), (0, 1), (1, 1) with equal weights;
both ends anchored (:math:`(1, 1)` and :math:`(N, M)` are on every path). With :math:`D` the
accumulated cost of the optimal path :math:`P^*` (ties broken as ``librosa.sequence.dtw`` breaks
them: diagonal, then (0, 1), then (1, 0)),

.. math::
    \mathrm{MelDTW}(a, b) = \frac{D(N, M)}{|P^*|}, \qquad
    D(i, j) = c(i, j) + \min\{D(i-1, j-1),\ D(i, j-1),\ D(i-1, j)\}

the mean local cost per cell of the optimal path, in log10 (bel) units; 0 for identical clips.

**Mel DTW distance** (lower is better, in [0, inf)): ``MelDTW(audio, reference_audio)``.

**Projection gap** (``MelProjectionGap``; in (-inf, inf)): how much closer the soft embeddings'
re-synthesis is to the target than that of their nearest-token projection (the hard prompt),

.. math::
    \mathrm{ProjectionGap} = \mathrm{MelDTW}(x_{hard}, y) - \mathrm{MelDTW}(x_{soft}, y)

positive when the soft prompt does better, the sign convention of
:class:`invbench.metrics.clip_image_similarity.ProjectionGap` (whose similarity
:math:`\cos(x_{soft}, y) - \cos(x_{hard}, y)` is also positive then).

Only 16 kHz audio is accepted (another rate is a :class:`MetricInputError`, never a resample), and
a clip shorter than one analysis window (400 samples) is an input error. Items without a reference
(and without ``audio`` — e.g. the soft re-synthesis of an inverter that returned hard tokens only,
bound as ``fields: {audio: soft_audio}``; for the gap, without ``soft_audio``) are not scored
(``{}``). Each item is scored alone, so batch size and order never change a value.

Example:
    >>> import torch
    >>> from invbench.contracts.media import Waveform
    >>> from invbench.metrics.spectral_distance import (
    ...     MelDTWDistance, MelProjectionGap, dtw_distance, log_mel)
    >>> t = torch.arange(16000, dtype=torch.float64) / 16000
    >>> tone = Waveform((0.3 * torch.sin(2 * torch.pi * 440 * t)).float(), 16000)
    >>> chirp = Waveform((0.3 * torch.sin(2 * torch.pi * (200 + 1500 * t) * t)).float(), 16000)
    >>> log_mel(tone.samples.double().numpy()).shape  # 1 + 16000 // 160 frames, 80 bands
    (101, 80)
    >>> distance = MelDTWDistance()
    >>> distance.score_item(audio=tone, reference_audio=tone)
    {'mel_dtw_distance': 0.0}
    >>> distance.score_item(audio=chirp, reference_audio=tone)["mel_dtw_distance"] > 1
    True
    >>> distance.score_item(audio=None, reference_audio=tone)  # e.g. no soft re-synthesis
    {}
    >>> gap = MelProjectionGap()
    >>> gap.score_item(soft_audio=tone, audio=chirp, reference_audio=tone)[
    ...     "projection_gap"] > 0  # the soft prompt's re-synthesis is the closer one
    True
    >>> distance.signature()
    'mel_dtw_distance|sr:16000|n_fft:512|win:400|window:hann-periodic|hop:160|pad:center-zeros|...'
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from invbench.contracts.media import Waveform
from invbench.contracts.metric import Metric, MetricInputError, MetricOutput
from invbench.metrics.audio_input import checked_samples
from invbench.metrics.dtw import DTWAlignment, dtw, dtw_distance  # noqa: F401 (re-exported)

SAMPLE_RATE = 16_000
N_FFT = 512
WIN_LENGTH = 400
HOP_LENGTH = 160
N_MELS = 80
FMIN = 0.0
FMAX = SAMPLE_RATE / 2
LOG_FLOOR = 1e-10
NO_RESAMPLING = " (the mel DTW distance does not resample)"


# --------------------------------------------------------------------------------------------
# Front end
# --------------------------------------------------------------------------------------------


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa ``htk=False``): linear below 1 kHz, logarithmic above."""
    hz = np.atleast_1d(np.asarray(hz, dtype=np.float64))
    f_sp = 200.0 / 3
    mels = hz / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    above = hz >= min_log_hz
    mels[above] = min_log_mel + np.log(hz[above] / min_log_hz) / logstep
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.atleast_1d(np.asarray(mels, dtype=np.float64))
    f_sp = 200.0 / 3
    freqs = f_sp * mels
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    above = mels >= min_log_mel
    freqs[above] = min_log_hz * np.exp(logstep * (mels[above] - min_log_mel))
    return freqs


@lru_cache(maxsize=1)
def _filterbank() -> np.ndarray:
    low, high = _hz_to_mel(np.array([FMIN, FMAX]))
    edges = _mel_to_hz(np.linspace(low, high, N_MELS + 2))
    fft_freqs = np.fft.rfftfreq(N_FFT, d=1.0 / SAMPLE_RATE)
    widths = np.diff(edges)
    ramps = np.subtract.outer(edges, fft_freqs)
    weights = np.zeros((N_MELS, fft_freqs.size))
    for i in range(N_MELS):
        lower = -ramps[i] / widths[i]
        upper = ramps[i + 2] / widths[i + 1]
        weights[i] = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2 : N_MELS + 2] - edges[:N_MELS]))[:, None]  # Slaney: unit area
    weights.setflags(write=False)
    return weights


def mel_filterbank() -> np.ndarray:
    """The ``(80, 257)`` float64 Slaney mel filterbank (equal to ``librosa.filters.mel(sr=16000,
    n_fft=512, n_mels=80, dtype=np.float64)``); a read-only array built once per process."""
    return _filterbank()


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(WIN_LENGTH)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * n / WIN_LENGTH)  # periodic (fftbins=True)
    window = np.zeros(N_FFT)
    left = (N_FFT - WIN_LENGTH) // 2
    window[left : left + WIN_LENGTH] = hann
    window.setflags(write=False)
    return window


def mel_power(samples: np.ndarray) -> np.ndarray:
    """``(frames, 80)`` mel power spectrogram of 16 kHz mono samples, float64, before the log.

    Frames as ``librosa.stft(center=True, pad_mode="constant")``: ``1 + len // 160`` of them."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"samples must be a non-empty 1-D array, got shape {x.shape}")
    padded = np.pad(x, N_FFT // 2, mode="constant")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP_LENGTH]
    spectrum = np.fft.rfft(frames * _window(), axis=-1)
    power = spectrum.real**2 + spectrum.imag**2
    return power @ _filterbank().T


def log_mel(samples: np.ndarray) -> np.ndarray:
    """``(frames, 80)`` log10 mel power of 16 kHz mono samples, floored at ``1e-10``."""
    return np.log10(np.maximum(mel_power(samples), LOG_FLOOR))


# --------------------------------------------------------------------------------------------
# DTW
# --------------------------------------------------------------------------------------------


def audio_log_mel(wave: Any, field: str) -> np.ndarray:
    """The log-mel frames of a 16 kHz Waveform, or :class:`MetricInputError` naming ``field``."""
    samples = checked_samples(wave, field, SAMPLE_RATE, dtype=np.float64, note=NO_RESAMPLING)
    if samples.size < WIN_LENGTH:
        raise MetricInputError(
            f"{field} has {samples.size} samples, shorter than one analysis window "
            f"({WIN_LENGTH} samples = {1000 * WIN_LENGTH // SAMPLE_RATE} ms at {SAMPLE_RATE} Hz)"
        )
    return log_mel(samples)


def mel_dtw_distance(audio: Waveform, reference_audio: Waveform) -> float:
    """Log-mel DTW distance between two 16 kHz Waveforms (errors name ``audio`` or
    ``reference_audio``)."""
    return dtw_distance(audio_log_mel(audio, "audio"),
                        audio_log_mel(reference_audio, "reference_audio"))


class _MelDTWMetric(Metric):
    reference: ClassVar[str] = "librosa"

    def settings(self) -> dict[str, Any]:
        return {
            "sr": SAMPLE_RATE,
            "n_fft": N_FFT,
            "win": WIN_LENGTH,
            "window": "hann-periodic",
            "hop": HOP_LENGTH,
            "pad": "center-zeros",
            "n_mels": N_MELS,
            "fmin": int(FMIN),
            "fmax": int(FMAX),
            "mel_scale": "slaney",
            "mel_norm": "slaney",
            "power": 2,
            "log": f"log10-floor-{LOG_FLOOR:g}",
            "dtw_steps": "(1,0)(0,1)(1,1)-equal-weights",
            "dtw_cost": "euclidean",
            "dtw_norm": "path-length",
            "dtype": "float64",
        }


class MelDTWDistance(_MelDTWMetric):
    """Log-mel DTW distance of the re-synthesised audio to the target clip (lower is better)."""

    name: ClassVar[str] = "mel_dtw_distance"
    description: ClassVar[str] = (
        "log-mel DTW distance (mean Euclidean frame distance on the optimal path) to the reference"
    )
    requires: ClassVar[tuple[str, ...]] = ("audio", "reference_audio")
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput(
            "mel_dtw_distance",
            False,
            (0.0, math.inf),
            "accumulated Euclidean log10-mel distance on the optimal DTW path / path length",
        ),
    )

    def score_item(
        self, audio: Waveform | None, reference_audio: Waveform | None = None, **_: Any
    ) -> dict[str, float]:
        # No audio: e.g. the soft-embedding re-synthesis (``fields: {audio: soft_audio}``) of an
        # inverter that returned hard tokens only. Not scored, like a missing reference.
        if audio is None or reference_audio is None:
            return {}
        return {"mel_dtw_distance": mel_dtw_distance(audio, reference_audio)}


class MelProjectionGap(_MelDTWMetric):
    """MelDTW(audio, reference) − MelDTW(soft_audio, reference): what projection to tokens loses."""

    name: ClassVar[str] = "mel_projection_gap"
    description: ClassVar[str] = (
        "log-mel DTW distance to the reference of the hard-prompt audio minus the soft audio's"
    )
    requires: ClassVar[tuple[str, ...]] = ("soft_audio", "audio", "reference_audio")
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput(
            "projection_gap",
            False,
            (-math.inf, math.inf),
            "MelDTW(audio, reference) - MelDTW(soft_audio, reference); large: soft prompt not "
            "expressible by its nearest tokens",
        ),
    )

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "gap": "hard-minus-soft distance"}

    def score_item(
        self,
        soft_audio: Waveform | None,
        audio: Waveform | None = None,
        reference_audio: Waveform | None = None,
        **_: Any,
    ) -> dict[str, float]:
        if soft_audio is None or reference_audio is None:
            return {}
        reference = audio_log_mel(reference_audio, "reference_audio")
        soft = audio_log_mel(soft_audio, "soft_audio")
        hard = audio_log_mel(audio, "audio")
        return {"projection_gap": dtw_distance(hard, reference) - dtw_distance(soft, reference)}
