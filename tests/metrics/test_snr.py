"""Perturbation SNR against torchmetrics' ``signal_noise_ratio(preds=audio, target=carrier)``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from metric_tester import MetricTester, Tol
from torchmetrics.functional.audio import signal_noise_ratio

from invbench.contracts.media import Waveform
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


DBS = [-10.0, 0.0, 12.5, 30.0, 60.0, 90.0]


def _torchmetrics(dtype: torch.dtype | None = None):
    """The reference: ``signal_noise_ratio(preds=audio, target=carrier)``, on the samples as they
    are, or cast to ``dtype`` first."""

    def reference(audio: Waveform, carrier_audio: Waveform | None) -> dict[str, float] | None:
        if carrier_audio is None or torch.equal(audio.samples, carrier_audio.samples):
            return None
        a, c = audio.samples, carrier_audio.samples
        if dtype is not None:
            a, c = a.to(dtype), c.to(dtype)
        return {"snr_db": float(signal_noise_ratio(preds=a, target=c))}

    return reference


def _perturbed(kit) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Two speech-like carriers, each under perturbations of every level in ``DBS``."""
    audio, carriers = [], []
    for seed in (0, 1):
        carrier = kit.speechlike(seed).astype(np.float64)
        for perturbation_db in DBS:
            rng = np.random.default_rng(seed + 10)
            delta = rng.standard_normal(carrier.size)
            delta *= np.linalg.norm(carrier) / np.linalg.norm(delta) / 10 ** (perturbation_db / 20)
            audio.append(np.clip(carrier + delta, -1, 1))
            carriers.append(carrier)
    return audio, carriers


def test_matches_torchmetrics(kit) -> None:
    audio, carriers = _perturbed(kit)
    tester = MetricTester(PerturbationSNR)
    fields = {
        "audio": [kit.wave(a) for a in audio],
        "carrier_audio": [kit.wave(c) for c in carriers],
    }
    # torchmetrics adds its dtype's epsilon to both energies; in float64 that moves the value by
    # < 1e-8 dB even for a 90 dB perturbation
    tester.run(fields, _torchmetrics(), Tol(abs=1e-6))
    # float32 waveforms: we sum in float64; torchmetrics on the same values upcast agrees, and
    # its float32 path (float32 sums, float32 epsilon) agrees where the perturbation is not tiny
    fields32 = {k: [kit.wave(w.samples.float()) for w in v] for k, v in fields.items()}
    results32 = tester.run(fields32, _torchmetrics(torch.float64), Tol(abs=1e-6))
    direct = [_torchmetrics()(**{k: v[i] for k, v in fields32.items()}) for i in range(len(audio))]
    small = [d if DBS[i % len(DBS)] <= 30 else None for i, d in enumerate(direct)]
    assert tester.assert_matches(results32, fields32, small, Tol(abs=1e-3)) == 8


def test_no_carrier_is_not_scored(kit) -> None:
    audio = kit.wave(kit.speechlike(0))
    assert PerturbationSNR().score_item(audio=audio, carrier_audio=None) == {}


@pytest.mark.parametrize(
    ("audio", "carrier", "message"),
    [
        ("speech", "speech", "identical to carrier; SNR is infinite"),
        ("speech", "silence", "carrier_audio is digital silence"),
        ("shorter", "speech", "at least as long as its carrier"),
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
    results = MetricTester(PerturbationSNR).run(fields, _torchmetrics(torch.float64), Tol(abs=1e-6))
    assert results[2] == ({}, None)
    assert results[5][1] is not None and "SNR is infinite" in results[5][1]
    assert all(results[i][0] for i in (0, 1, 3, 4, 6))


def test_signature_and_declaration() -> None:
    metric = PerturbationSNR()
    signature = "snr|zero_mean:no|eps:0|dtype:float64|length:carrier-span|version:2"
    assert MetricTester(PerturbationSNR, signature=signature).check_signature(metric) == signature
    (output,) = metric.outputs
    assert output.name == "snr_db" and output.higher_is_better
    assert metric.requires == ("audio", "carrier_audio")


def test_padding_after_the_carrier_is_not_counted(kit) -> None:
    """Version 2: audio longer than its (unpadded) carrier is scored over the carrier's span, so
    a perturbation in the appended padding, however loud, changes nothing."""
    carrier = kit.speechlike(4, seconds=1.0).astype(np.float64)
    on_speech = kit.add_noise(carrier, 20, 1).astype(np.float64)
    expected = float(signal_noise_ratio(preds=torch.tensor(on_speech),
                                        target=torch.tensor(carrier)))
    quiet, loud = (np.concatenate([on_speech, level * np.ones(8000)]) for level in (1e-4, 0.9))
    for audio in (quiet, loud):
        got = PerturbationSNR().score_item(audio=kit.wave(audio), carrier_audio=kit.wave(carrier))
        assert got["snr_db"] == pytest.approx(expected, abs=1e-6)
    # version 1 (whole signals, padded carrier) would have let the padding's energy in
    padded = np.pad(carrier, (0, 8000))
    assert perturbation_snr(loud, padded) < expected - 20
