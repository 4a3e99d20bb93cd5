r"""Wideband PESQ: intrusive speech quality of the recovered audio against a reference rendering.

PESQ (ITU-T P.862) level-aligns and time-aligns a degraded signal to a clean reference, passes both
through a perceptual (Bark-scale loudness) model and turns the accumulated symmetric and
asymmetric disturbances into a raw score :math:`d`; the wideband extension (ITU-T P.862.2, 16 kHz)
maps it to MOS-LQO with

.. math::
    \mathrm{PESQ}_{wb} = 0.999 + \frac{4}{1 + e^{-1.3669\, d + 3.8224}}

so values lie in about [1.04, 4.644] (the raw score spans [-0.5, 4.5]); higher is better. The
computation is the ITU reference C code as wrapped by the ``pesq`` package, called once per item;
the two signals may differ in length (PESQ aligns them itself).

Example:
    >>> import torch
    >>> from invbench.contracts.media import Waveform
    >>> from invbench.metrics.pesq_wb import PESQWideband
    >>> g = torch.Generator().manual_seed(0)
    >>> t = torch.arange(48000) / 16000
    >>> clean = 0.4 * torch.sin(2 * torch.pi * 150 * t) * torch.sin(2 * torch.pi * 2 * t).abs()
    >>> noisy = (clean + 0.01 * torch.randn(48000, generator=g)).clamp(-1, 1)
    >>> metric = PESQWideband()
    >>> audio, reference = Waveform(noisy, 16000), Waveform(clean, 16000)
    >>> score = metric.score_item(audio=audio, reference_audio=reference)
    >>> 1.0 <= score["pesq_wb"] <= 4.644
    True
    >>> metric.score_item(audio=audio, reference_audio=None)
    {}
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar

import numpy as np

from invbench.contracts.media import Waveform
from invbench.contracts.metric import Metric, MetricInputError, MetricOutput
from invbench.metrics.audio_input import checked_samples

SAMPLE_RATE = 16_000


def _pesq_version() -> str:
    try:
        return version("pesq")
    except PackageNotFoundError:  # pragma: no cover - pesq is a hard dependency
        return "unknown"



def pesq_wb(reference: np.ndarray, degraded: np.ndarray) -> float:
    """P.862.2 wideband MOS-LQO of ``degraded`` against ``reference`` (16 kHz float arrays).

    The pesq package's errors (no utterances detected, buffer shorter than 1/4 s, ...) and its
    ValueError on audio that is silent after level normalisation become
    :class:`MetricInputError` with the library's reason.
    """
    import pesq

    try:
        return float(pesq.pesq(SAMPLE_RATE, reference, degraded, "wb"))
    except pesq.NoUtterancesError:
        raise MetricInputError(
            "PESQ found no utterances (speech activity) in the reference or the audio"
        ) from None
    except pesq.PesqError as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise MetricInputError(f"PESQ failed: {type(exc).__name__}: {reason}") from None
    except ValueError as exc:  # e.g. audio that underflows to zero after level normalisation
        raise MetricInputError(
            f"PESQ failed ({exc}); the audio is probably near-silent relative to the reference"
        ) from None


class PESQWideband(Metric):
    """Wideband PESQ (P.862.2) of the recovered audio against the target's reference rendering.

    Needs 16 kHz on both sides (another rate is an input error, not a resample). Items whose target
    has no reference rendering are not scored (``{}``).
    """

    name: ClassVar[str] = "pesq_wb"
    description: ClassVar[str] = "wideband PESQ (ITU-T P.862.2) of the audio vs the reference"
    requires: ClassVar[tuple[str, ...]] = ("audio", "reference_audio")
    reference: ClassVar[str] = "pesq"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("pesq_wb", True, (1.0, 4.644), "P.862.2 MOS-LQO against the reference"),
    )

    def settings(self) -> dict[str, Any]:
        return {"mode": "wb", "sr": SAMPLE_RATE, "length": "native", "pesq": _pesq_version()}

    def score_item(
        self, audio: Waveform, reference_audio: Waveform | None = None, **_: Any
    ) -> dict[str, float]:
        if reference_audio is None:
            return {}
        reference = _nonsilent(reference_audio, "reference_audio")
        degraded = _nonsilent(audio, "audio")
        return {"pesq_wb": pesq_wb(reference, degraded)}


def _nonsilent(wave: Any, field: str) -> np.ndarray:
    x = checked_samples(wave, field, SAMPLE_RATE, note=" (PESQ-wb does not resample)")
    if not np.any(x):
        raise MetricInputError(f"{field} is digital silence (all zeros); PESQ is undefined")
    return x
