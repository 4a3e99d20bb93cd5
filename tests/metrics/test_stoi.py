"""STOI against a direct ``pystoi.stoi(ref, deg, fs, extended=False)`` call."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pystoi import stoi as pystoi_stoi

from invbench.contracts.metric import MetricInputError
from invbench.metrics.stoi import STOI, match_length

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


@pytest.mark.parametrize(("seed", "how", "sr"), CASES)
def test_matches_pystoi(kit, seed: int, how: str, sr: int) -> None:
    ref = kit.speechlike(seed, sr=sr)
    deg = _degrade(kit, ref, how, seed + 100)
    expected = pystoi_stoi(ref, deg, sr, extended=False)
    got = STOI().score_item(audio=kit.wave(deg, sr), reference_audio=kit.wave(ref, sr))
    assert got == {"stoi": pytest.approx(expected, abs=1e-6)}
    assert -1.0 <= got["stoi"] <= 1.0


@pytest.mark.parametrize("index", [0, 3])
def test_matches_pystoi_on_real_speech_if_shipped(kit, index: int) -> None:
    ref = kit.real_speech(index)
    if ref is None:
        pytest.skip("data/targets/transcripts-mini is not in this checkout")
    deg = kit.add_noise(ref, 5, index)
    expected = pystoi_stoi(ref, deg, 16000, extended=False)
    got = STOI().score_item(audio=kit.wave(deg), reference_audio=kit.wave(ref))
    assert got == {"stoi": pytest.approx(expected, abs=1e-6)}


@pytest.mark.parametrize("delta", [-4000, -1, 1, 2500])
def test_degraded_is_padded_or_trimmed_to_the_reference(kit, delta: int) -> None:
    ref = kit.speechlike(8)
    deg = kit.add_noise(kit.speechlike(8, seconds=3.0 + delta / 16000), 10, 1)
    assert deg.size == ref.size + delta
    matched = np.pad(deg, (0, -delta)) if delta < 0 else deg[: ref.size]
    expected = pystoi_stoi(ref, matched, 16000, extended=False)
    got = STOI().score_item(audio=kit.wave(deg), reference_audio=kit.wave(ref))
    assert got == {"stoi": pytest.approx(expected, abs=1e-6)}


@pytest.mark.parametrize(
    ("length", "target", "expected"),
    [(3, 5, [1.0, 2.0, 3.0, 0.0, 0.0]), (3, 2, [1.0, 2.0]), (3, 3, [1.0, 2.0, 3.0])],
)
def test_match_length(length: int, target: int, expected: list[float]) -> None:
    assert match_length(np.arange(1.0, length + 1), target).tolist() == expected


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
        "short": lambda: kit.wave(speech[:4000]),
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
    audio = [
        kit.wave(kit.add_noise(r, -5 + 5 * i, i)[: 30000 + 500 * i]) for i, r in enumerate(refs)
    ]
    references = [kit.wave(r) for r in refs]
    references[1] = None
    references[3] = kit.wave(refs[3][:3000])  # too short: an input error
    results = kit.check_batch_invariance(STOI, {"audio": audio, "reference_audio": references})
    assert results[1] == ({}, None)
    assert results[3][1] is not None and "STOI is undefined" in results[3][1]
    assert all(results[i][0] for i in (0, 2, 4, 5))


def test_signature() -> None:
    from importlib.metadata import version

    assert STOI().signature() == (
        f"stoi|extended:no|length:pad-trim-to-reference|pystoi:{version('pystoi')}|version:1"
    )
