"""STOI against a direct ``pystoi.stoi(ref, deg, fs, extended=False)`` call."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from metric_tester import MetricTester, Tol
from pystoi import stoi as pystoi_stoi

from invbench.contracts.media import Waveform
from invbench.contracts.metric import MetricInputError
from invbench.metrics.stoi import STOI

# (reference seed, degradation, sample rate)
CASES = [
    (0, "identical", 16000),
    (0, "snr20", 16000),
    (1, "snr5", 16000),
    (2, "snr-5", 16000),
    (3, "noise", 16000),
    (4, "snr10", 8000),
    (5, "snr10", 22050),
]


def _degrade(kit, ref: np.ndarray, how: str, seed: int) -> np.ndarray:
    if how == "identical":
        return ref.copy()
    if how == "noise":
        return (0.3 * np.random.default_rng(seed).uniform(-1, 1, ref.size)).astype(np.float32)
    return kit.add_noise(ref, float(how[3:]), seed)


def _pystoi(audio: Waveform, reference_audio: Waveform | None) -> dict[str, float] | None:
    """The reference: ``pystoi.stoi(ref, deg, fs, extended=False)`` (None where we do not score:
    no reference, or lengths pystoi refuses)."""
    if reference_audio is None or audio.samples.shape != reference_audio.samples.shape:
        return None
    ref, deg = reference_audio.samples.numpy(), audio.samples.numpy()
    return {"stoi": pystoi_stoi(ref, deg, reference_audio.sample_rate, extended=False)}


def test_matches_pystoi(kit) -> None:
    """``CASES`` (three sample rates) and two shipped ``transcripts-mini`` clips."""
    audio, references = [], []
    for seed, how, sr in CASES:
        ref = kit.speechlike(seed, sr=sr)
        audio.append(kit.wave(_degrade(kit, ref, how, seed + 100), sr))
        references.append(kit.wave(ref, sr))
    for index in (0, 3):
        ref = kit.real_speech(index)
        audio.append(kit.wave(kit.add_noise(ref, 5, index)))
        references.append(kit.wave(ref))
    fields = {"audio": audio, "reference_audio": references}
    # each item once (STOI is slow): batching is checked in test_batch_size_never_changes_a_score
    results = MetricTester(STOI).run(fields, _pystoi, Tol(abs=1e-6), splits=())
    assert all(error is None for _, error in results)  # all 9 compared, within [-1, 1]


@pytest.mark.parametrize("delta", [-4000, -1, 1, 2500])
def test_audio_of_another_length_is_not_scored(kit, delta: int) -> None:
    """Version 2: pystoi needs equal lengths, and audio of another length is no sample-aligned
    degradation of the reference (version 1 padded or trimmed it and scored it anyway)."""
    ref = kit.speechlike(8)
    deg = kit.add_noise(kit.speechlike(8, seconds=3.0 + delta / 16000), 10, 1)
    assert deg.size == ref.size + delta
    with pytest.raises(MetricInputError, match="not meaningful for audio of another length"):
        STOI().score_item(audio=kit.wave(deg), reference_audio=kit.wave(ref))


def test_unrelated_audio_is_not_near_zero(kit) -> None:
    """Why only aligned audio is scored: equal-length white noise scores well above 0 against a
    real clip (the figure the card quotes), so a number for unaligned audio would mislead."""
    ref = kit.real_speech(1)
    noise = 0.1 * np.random.default_rng(0).uniform(-1, 1, ref.size).astype(np.float32)
    got = STOI().score_item(audio=kit.wave(noise), reference_audio=kit.wave(ref))["stoi"]
    assert 0.3 < got < 0.45


def test_more_noise_scores_lower(kit) -> None:
    ref = kit.speechlike(9)
    scores = [
        STOI().score_item(
            audio=kit.wave(kit.add_noise(ref, snr, 2)), reference_audio=kit.wave(ref)
        )["stoi"]
        for snr in (20, 0, -10)
    ]
    assert scores[0] > scores[1] > scores[2]


def test_no_reference_is_not_scored(kit) -> None:
    assert STOI().score_item(audio=kit.wave(kit.speechlike(0)), reference_audio=None) == {}


@pytest.mark.parametrize(
    ("audio", "reference", "message"),
    [
        ("speech22k", "speech", "sample rate is 22050 Hz, expected 16000"),
        ("speech", "silence", "digital silence"),
        ("short", "short", "under 30 non-silent STFT frames"),
        ("tiny", "tiny", "shorter than the 30 STFT frames"),
        ("nan", "speech", "NaN"),
        ("loud", "speech", "expected within"),
        ("stereo", "speech", "1-D"),
        ("speech", "ndarray", "must be a Waveform"),
        ("ndarray", "speech", "must be a Waveform"),
    ],
)
def test_input_errors(kit, audio: str, reference: str, message: str) -> None:
    speech = kit.speechlike(0)
    kinds = {
        "speech": lambda: kit.wave(speech),
        "speech22k": lambda: kit.wave(speech, 22050),
        "silence": lambda: kit.wave(np.zeros_like(speech)),
        "short": lambda: kit.wave(np.concatenate([speech[:2000], np.zeros(16000, np.float32)])),
        "tiny": lambda: kit.wave(speech[:4000]),
        "nan": lambda: kit.wave(np.where(np.arange(speech.size) == 5, np.nan, speech)),
        "loud": lambda: kit.wave(3 * speech),
        "stereo": lambda: kit.wave(torch.as_tensor(np.stack([speech, speech]))),
        "ndarray": lambda: speech,
    }
    with pytest.raises(MetricInputError, match=message):
        STOI().score_item(audio=kinds[audio](), reference_audio=kinds[reference]())


def test_silent_audio_scores_zero(kit) -> None:
    ref = kit.speechlike(0)
    got = STOI().score_item(audio=kit.wave(np.zeros_like(ref)), reference_audio=kit.wave(ref))
    assert got["stoi"] == pytest.approx(pystoi_stoi(ref, np.zeros_like(ref), 16000), abs=1e-9)


def test_batch_size_never_changes_a_score(kit) -> None:
    refs = [kit.speechlike(s, seconds=2.0) for s in range(6)]
    audio = [kit.wave(kit.add_noise(r, -5 + 5 * i, i)) for i, r in enumerate(refs)]
    audio[4] = kit.wave(audio[4].samples[:31000])  # another length: an input error
    references = [kit.wave(r) for r in refs]
    references[1] = None
    references[3] = kit.wave(refs[3][:3000])  # too short: an input error
    audio[3] = kit.wave(audio[3].samples[:3000])
    fields = {"audio": audio, "reference_audio": references}
    expected = [_pystoi(audio[i], references[i]) if i != 3 else None for i in range(6)]
    assert expected[4] is None
    results = MetricTester(STOI).run(fields, expected, Tol(abs=1e-6))
    assert results[1] == ({}, None)
    assert results[3][1] is not None and "STOI is undefined" in results[3][1]
    assert results[4][1] is not None and "another length" in results[4][1]
    assert all(results[i][0] for i in (0, 2, 5))


def test_signature() -> None:
    from importlib.metadata import version

    expected = f"stoi|extended:no|length:must-match|pystoi:{version('pystoi')}|version:2"
    tester = MetricTester(STOI, signature=expected, outputs={"stoi": (True, (-1.0, 1.0))})
    tester.check_declaration(STOI())
    assert tester.check_signature(STOI()) == expected
