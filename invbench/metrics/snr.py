r"""Perturbation SNR: how small the change an inverter made to its natural carrier clip is.

A perturbation inverter starts from a natural clip :math:`c` of :math:`n` samples (the carrier,
unpadded) and returns :math:`x = c + \delta`, possibly longer than :math:`c` when it padded a
short carrier with silence. The signal-to-noise ratio of the perturbation over the *carrier's
span*, in decibels, is

.. math::
    \mathrm{SNR} = 10 \log_{10} \frac{\sum_{t<n} c_t^2}{\sum_{t<n} (x_t - c_t)^2}

(no mean removal, no epsilon, computed in float64). Higher is better: a smaller, less audible
perturbation of the speech. Samples of :math:`x` after the carrier's end (the padding) are not
counted: there, every sample is perturbation and there is no speech to hide it in; the inverter
records how much of the perturbation lies there (``inverter_info.padding_energy_share``). On the
carrier's span it is torchmetrics' ``signal_noise_ratio(preds=x[:n], target=c)`` without its
epsilon. (Version 1 compared whole signals of equal length, against the *padded* carrier.)

Only items that started from a carrier are scored (``{}`` otherwise). Two inputs have no finite
SNR and are rejected as :class:`~invbench.contracts.MetricInputError` rather than capped: audio
*identical* to its carrier (SNR :math:`+\infty`: nothing was perturbed — a cap would put an
arbitrary number into the mean) and a silent carrier (SNR :math:`-\infty`). Both waveforms must
have the same sample rate; audio shorter than its carrier is an input error. Nothing is resampled.

Example:
    >>> import torch
    >>> from invbench.contracts.media import Waveform
    >>> from invbench.metrics.snr import PerturbationSNR
    >>> carrier = Waveform(torch.tensor([0.5, -0.5, 0.5, -0.5]), 16000)
    >>> audio = Waveform(torch.tensor([0.625, -0.375, 0.375, -0.625]), 16000)
    >>> PerturbationSNR().score_item(audio=audio, carrier_audio=carrier)  # 10 log10(1 / 0.0625)
    {'snr_db': 12.041199826559248}
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from invbench.contracts.media import Waveform
from invbench.contracts.metric import Metric, MetricInputError, MetricOutput
from invbench.metrics.audio_input import checked_samples


def perturbation_snr(audio: np.ndarray, carrier: np.ndarray) -> float:
    """SNR in dB of the perturbation ``audio - carrier`` relative to ``carrier``, over the
    carrier's span (``audio``'s samples after the carrier's end are not counted)."""
    audio = np.asarray(audio, dtype=np.float64)
    carrier = np.asarray(carrier, dtype=np.float64)
    if audio.ndim != 1 or carrier.ndim != 1:
        raise MetricInputError(
            f"perturbation SNR needs mono audio, got shapes {audio.shape} and {carrier.shape}"
        )
    if audio.shape[-1] < carrier.shape[-1]:
        raise MetricInputError(
            f"audio has {audio.shape[-1]} samples but carrier_audio has {carrier.shape[-1]}; "
            "perturbation SNR needs audio at least as long as its carrier"
        )
    audio = audio[: carrier.shape[-1]]
    signal_energy = float(np.sum(carrier**2))
    noise_energy = float(np.sum((audio - carrier) ** 2))
    if signal_energy == 0.0:
        raise MetricInputError("carrier_audio is digital silence; SNR is -inf")
    if noise_energy == 0.0:
        raise MetricInputError("audio is identical to carrier; SNR is infinite")
    return 10.0 * math.log10(signal_energy / noise_energy)


class PerturbationSNR(Metric):
    """SNR (dB) of the recovered audio's deviation from the carrier clip it started from."""

    name: ClassVar[str] = "snr"
    description: ClassVar[str] = "SNR (dB) of the perturbation the inverter added to its carrier"
    requires: ClassVar[tuple[str, ...]] = ("audio", "carrier_audio")
    version: ClassVar[str] = "2"  # 2: over the carrier's span (1: whole, equal-length signals)
    reference: ClassVar[str] = "torchmetrics"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput(
            "snr_db", True, (-math.inf, math.inf),
            "10 log10(|c|^2 / |audio - c|^2) over the carrier c's span",
        ),
    )

    def settings(self) -> dict[str, Any]:
        return {"zero_mean": "no", "eps": 0, "dtype": "float64", "length": "carrier-span"}

    def score_item(
        self, audio: Waveform, carrier_audio: Waveform | None = None, **_: Any
    ) -> dict[str, float]:
        if carrier_audio is None:
            return {}
        carrier = checked_samples(carrier_audio, "carrier_audio")
        samples = checked_samples(audio, "audio", carrier_audio.sample_rate)
        return {"snr_db": perturbation_snr(samples, carrier)}
