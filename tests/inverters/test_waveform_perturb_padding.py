"""``waveform-perturb`` states how it padded a short carrier, and the SNR it is scored by
ignores that padding (issue 14: on 1.3 s clips most of the perturbation lay after the speech).

A toy forward model (loss: the distance of the input to a fixed loud tone, never a success)
makes the optimiser put perturbation everywhere, padding included, in a few steps."""

from __future__ import annotations

import math

import pytest
import torch

from invbench.contracts import Budget, InversionProblem, Target, Waveform
from invbench.contracts.forward_model import ObjectiveResult
from invbench.contracts.media import AudioSpec
from invbench.inverters.waveform_perturb import WaveformPerturb, padding_info
from invbench.metrics.snr import PerturbationSNR

RATE = 1000  # a toy rate: min_seconds=4 means 4000 samples


class ToneASR:
    """Duck-typed white-box model: per-item squared distance to a 50 Hz tone."""

    input_spec = AudioSpec(sample_rate=RATE, max_seconds=30.0)

    def objective(self, x: torch.Tensor, targets, **_) -> ObjectiveResult:
        t = torch.arange(x.shape[-1]) / RATE
        tone = 0.5 * torch.sin(2 * math.pi * 50 * t)
        loss = (x - tone).square().mean(dim=-1)
        return ObjectiveResult(loss=loss, success=torch.zeros(len(targets), dtype=torch.bool))


def _invert(carrier_seconds: float) -> tuple:
    g = torch.Generator().manual_seed(0)
    carrier = Waveform(0.3 * torch.rand(int(carrier_seconds * RATE), generator=g) - 0.15, RATE)
    problem = InversionProblem(
        task="asr/toy", family="asr", targets=[Target("t0", {"text": "two words"})],
        forward=ToneASR(), budget=Budget(max_steps=5), seed=0, carriers=[carrier],
    )
    (inversion,) = WaveformPerturb(steps=5, lr=0.05).invert(problem)
    return carrier, inversion


def test_short_carrier_padding_is_recorded_and_not_in_the_snr() -> None:
    carrier, inversion = _invert(1.3)
    info = inversion.info
    assert inversion.x.samples.shape[-1] == 4000  # padded to min_seconds
    assert torch.equal(inversion.carrier.samples, carrier.samples)  # the unpadded natural clip
    assert info["carrier_seconds"] == pytest.approx(1.3)
    assert info["padded_seconds"] == pytest.approx(2.7)
    delta = inversion.x.samples.double() - torch.nn.functional.pad(carrier.samples, (0, 2700))
    share = float(delta[1300:].square().sum() / delta.square().sum())
    assert 0.5 < info["padding_energy_share"] == pytest.approx(share, rel=1e-9)
    snr = PerturbationSNR().score_item(audio=inversion.x, carrier_audio=inversion.carrier)
    on_speech = 10 * math.log10(float(carrier.samples.double().square().sum())
                                / float(delta[:1300].square().sum()))
    assert snr["snr_db"] == pytest.approx(on_speech, abs=1e-6)


def test_long_carrier_is_not_padded() -> None:
    _, inversion = _invert(4.2)
    assert inversion.info["padded_seconds"] == 0.0
    assert inversion.info["padding_energy_share"] == 0.0
    assert inversion.info["carrier_seconds"] == pytest.approx(4.2)


def test_padding_info_without_perturbation_is_zero() -> None:
    assert padding_info(torch.zeros(10), 4, 2) == {
        "carrier_seconds": 2.0, "padded_seconds": 3.0, "padding_energy_share": 0.0,
    }
