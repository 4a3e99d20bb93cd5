r"""DNSMOS: non-intrusive (reference-free) speech quality, as predicted mean opinion scores.

DNSMOS (Reddy et al., ICASSP 2021 for P.808; ICASSP 2022 for P.835) is a pair of neural networks
trained on crowd-sourced ratings. The P.835 network maps 9.01-second windows of 16 kHz audio to the
three ITU-T P.835 scales — SIG (speech signal distortion), BAK (background intrusiveness), OVRL
(overall quality) — each calibrated by a fixed polynomial; the P.808 network maps a log-mel
spectrogram of the same window to an overall MOS. For a clip with windows :math:`w = 1..W`
(hop 1 s; a clip shorter than 9.01 s is tiled by repeated doubling until it is long enough):

.. math::
    \mathrm{DNSMOS}_k = \frac{1}{W} \sum_{w=1}^{W} p_k\big(f_k(x_w)\big), \quad
    k \in \{\mathrm{SIG}, \mathrm{BAK}, \mathrm{OVRL}\}

with :math:`f` the P.835 network and :math:`p_k` its non-personalised calibration polynomial, and
``dnsmos_p808`` the window mean of the P.808 network. All are on the 1–5 MOS scale (higher is
better). The computation is speechmos's own (its ``DNSMOS`` class with its shipped ONNX files),
with the ONNX sessions built once per process.

Example:
    >>> import torch
    >>> from invbench.contracts.media import Waveform
    >>> from invbench.metrics.dnsmos import DNSMOS
    >>> g = torch.Generator().manual_seed(0)
    >>> noise = Waveform(0.1 * torch.randn(16000, generator=g), 16000)
    >>> scores = DNSMOS().score_item(audio=noise)
    >>> sorted(scores)
    ['dnsmos_bak', 'dnsmos_ovrl', 'dnsmos_p808', 'dnsmos_sig']
    >>> scores["dnsmos_ovrl"] < 2.0  # white noise is poor speech
    True
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from invbench.contracts.media import Waveform
from invbench.contracts.metric import Metric, MetricOutput
from invbench.metrics.audio_input import checked_samples

SAMPLE_RATE = 16_000
MODEL_NAME = "DNSMOS P.835 sig_bak_ovr.onnx + P.808"


def _speechmos_dir() -> Path:
    import speechmos

    return Path(speechmos.__file__).parent


def model_paths() -> tuple[Path, Path]:
    """The non-personalised P.835 and the P.808 ONNX files shipped inside speechmos."""
    models = _speechmos_dir() / "dnsmos_models"
    return models / "sig_bak_ovr.onnx", models / "model_v8.onnx"


@lru_cache(maxsize=1)
def _predictor() -> Any:
    """speechmos's DNSMOS predictor, its two ONNX sessions built once per process."""
    from speechmos import dnsmos as speechmos_dnsmos

    primary, p808 = model_paths()
    return speechmos_dnsmos.DNSMOS(str(primary), str(p808))


@lru_cache(maxsize=1)
def _weights_digest() -> str:
    digests = []
    for path in model_paths():
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest()[:12])
    return "+".join(digests)


def _speechmos_version() -> str:
    try:
        return version("speechmos")
    except PackageNotFoundError:  # pragma: no cover - speechmos is a hard dependency
        return "unknown"



def dnsmos(samples: np.ndarray) -> dict[str, float]:
    """DNSMOS of a mono 16 kHz float array in [-1, 1]: SIG, BAK, OVRL (non-personalised), P.808."""
    raw = _predictor()(np.asarray(samples, dtype=np.float32), SAMPLE_RATE, False)
    return {
        "dnsmos_sig": float(raw["sig_mos"]),
        "dnsmos_bak": float(raw["bak_mos"]),
        "dnsmos_ovrl": float(raw["ovrl_mos"]),
        "dnsmos_p808": float(raw["p808_mos"]),
    }


NO_RESAMPLING = " (DNSMOS does not resample)"


class DNSMOS(Metric):
    """DNSMOS P.835 SIG/BAK/OVRL and P.808 MOS of the recovered audio (no reference needed).

    Only 16 kHz audio is accepted: another rate is a :class:`MetricInputError`, never a silent
    resample. Samples are scored as float32 (the networks' precision).
    """

    name: ClassVar[str] = "dnsmos"
    description: ClassVar[str] = "DNSMOS P.835 SIG/BAK/OVRL + P.808 MOS of the audio (no reference)"
    requires: ClassVar[tuple[str, ...]] = ("audio",)
    reference: ClassVar[str] = "speechmos"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("dnsmos_sig", True, (1.0, 5.0), "P.835 speech signal quality (SIG)"),
        MetricOutput("dnsmos_bak", True, (1.0, 5.0), "P.835 background noise (BAK)"),
        MetricOutput("dnsmos_ovrl", True, (1.0, 5.0), "P.835 overall quality (OVRL)"),
        MetricOutput("dnsmos_p808", True, (1.0, 5.0), "P.808 overall MOS"),
    )

    def settings(self) -> dict[str, Any]:
        return {
            "model": MODEL_NAME,
            "sha256": _weights_digest(),
            "personalized": "no",
            "sr": SAMPLE_RATE,
            "speechmos": _speechmos_version(),
        }

    def score_item(self, audio: Waveform, **_: Any) -> dict[str, float]:
        samples = checked_samples(audio, "audio", SAMPLE_RATE, dtype=np.float32, note=NO_RESAMPLING)
        return dnsmos(samples)
