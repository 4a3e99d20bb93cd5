"""Perturbation SNR against torchmetrics' ``signal_noise_ratio(preds=audio, target=carrier)``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torchmetrics.functional.audio import signal_noise_ratio

from invbench.contracts.metric import MetricInputError
from invbench.metrics.snr import PerturbationSNR, perturbation_snr

# (carrier, audio, expected dB), worked out by hand
TABLE = [
    ([1.0, 0.0], [1.0, 0.1], 20.0),
    ([0.5, -0.5, 0.5, -0.5], [0.625, -0.375, 0.375, -0.625], 10 * math.log10(16)),
    ([0.3, 0.4], [0.0, 0.0], 0.0),
    ([0.1], [-0.1], 10 * math.log10(0.25)),
    ([0.5, 0.5], [0.5, 0.5 + 5e-4], 10 * math.log10(0.5 / 2.5e-7)),
]


@pytest.mark.parametrize(("carrier", "audio", "expected"), TABLE)
def test_table(kit, carrier: list[float], audio: list[float], expected: float) -> None:
    c = torch.tensor(carrier, dtype=torch.float64)
    a = torch.tensor(audio, dtype=torch.float64)
    assert perturbation_snr(a.numpy(), c.numpy()) == pytest.approx(expected, abs=1e-9)
    got = PerturbationSNR().score_item(audio=kit.wave(a), carrier_audio=kit.wave(c))
    assert got == {"snr_db": pytest.approx(expected, abs=1e-9)}


@pytest.mark.parametrize("perturbation_db", [-10.0, 0.0, 12.5, 30.0, 60.0, 90.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_torchmetrics(kit, seed: int, perturbation_db: float) -> None:
    carrier = kit.speechlike(seed).astype(np.float64)
    rng = np.random.default_rng(seed + 10)
    delta = rng.standard_normal(carrier.size)
    delta *= np.linalg.norm(carrier) / np.linalg.norm(delta) / 10 ** (perturbation_db / 20)
    audio = np.clip(carrier + delta, -1, 1)
    got = PerturbationSNR().score_item(audio=kit.wave(audio), carrier_audio=kit.wave(carrier))
    expected = signal_noise_ratio(preds=torch.from_numpy(audio), target=torch.from_numpy(carrier))
    # torchmetrics adds its dtype's epsilon to both energies; in float64 that moves the value by
    # < 1e-8 dB even for a 90 dB perturbation
    assert got == {"snr_db": pytest.approx(float(expected), abs=1e-6)}
    # float32 waveforms: we sum in float64; torchmetrics on the same values upcast agrees, and
    # its float32 path (float32 sums, float32 epsilon) agrees where the perturbation is not tiny
    a32, c32 = torch.from_numpy(audio).float(), torch.from_numpy(carrier).float()
    got32 = PerturbationSNR().score_item(audio=kit.wave(a32), carrier_audio=kit.wave(c32))
    upcast = float(signal_noise_ratio(preds=a32.double(), target=c32.double()))
    assert got32["snr_db"] == pytest.approx(upcast, abs=1e-6)
    if perturbation_db <= 30:
        direct32 = float(signal_noise_ratio(preds=a32, target=c32))
        assert got32["snr_db"] == pytest.approx(direct32, abs=1e-3)


def test_no_carrier_is_not_scored(kit) -> None:
    audio = kit.wave(kit.speechlike(0))
    assert PerturbationSNR().score_item(audio=audio, carrier_audio=None) == {}


@pytest.mark.parametrize(
    ("audio", "carrier", "message"),
    [
        ("speech", "speech", "identical to carrier; SNR is infinite"),
        ("speech", "silence", "carrier_audio is digital silence"),
        ("shorter", "speech", "equal lengths"),
        ("speech22k", "speech", "sample rate is 22050 Hz, expected 16000"),
        ("nan", "speech", "NaN"),
        ("loud", "speech", "expected within"),
        ("speech", "ndarray", "carrier_audio must be a Waveform"),
        ("ndarray", "speech", "audio must be a Waveform"),
    ],
)
def test_input_errors(kit, audio: str, carrier: str, message: str) -> None:
    speech = kit.speechlike(0)
    kinds = {
        "speech": lambda: kit.wave(speech),
        "speech22k": lambda: kit.wave(speech, 22050),
        "silence": lambda: kit.wave(np.zeros_like(speech)),
        "shorter": lambda: kit.wave(speech[:-1]),
        "nan": lambda: kit.wave(np.where(np.arange(speech.size) == 5, np.nan, speech)),
        "loud": lambda: kit.wave(3 * speech),
        "ndarray": lambda: speech,
    }
    with pytest.raises(MetricInputError, match=message):
        PerturbationSNR().score_item(audio=kinds[audio](), carrier_audio=kinds[carrier]())


def test_any_common_sample_rate(kit) -> None:
    carrier = kit.speechlike(3, sr=8000)
    audio = kit.add_noise(carrier, 20, 0)
    got = PerturbationSNR().score_item(
        audio=kit.wave(audio, 8000), carrier_audio=kit.wave(carrier, 8000)
    )
    assert got["snr_db"] == pytest.approx(20.0, abs=0.5)


def test_batch_size_never_changes_a_score(kit) -> None:
    carriers = [kit.speechlike(s, seconds=1.0) for s in range(7)]
    audio = [kit.wave(kit.add_noise(c, 5 * i, i)) for i, c in enumerate(carriers)]
    fields = {"audio": audio, "carrier_audio": [kit.wave(c) for c in carriers]}
    fields["carrier_audio"][2] = None
    fields["audio"][5] = kit.wave(carriers[5])  # unperturbed: an input error
    results = kit.check_batch_invariance(PerturbationSNR, fields)
    assert results[2] == ({}, None)
    assert results[5][1] is not None and "SNR is infinite" in results[5][1]
    assert all(results[i][0] for i in (0, 1, 3, 4, 6))


def test_signature_and_declaration() -> None:
    metric = PerturbationSNR()
    assert metric.signature() == "snr|zero_mean:no|eps:0|dtype:float64|length:must-match|version:1"
    (output,) = metric.outputs
    assert output.name == "snr_db" and output.higher_is_better
    assert metric.requires == ("audio", "carrier_audio")
