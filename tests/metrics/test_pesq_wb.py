"""Wideband PESQ against a direct ``pesq.pesq(16000, ref, deg, "wb")`` call."""

from __future__ import annotations

import numpy as np
import pesq
import pytest
import torch
from metric_tester import MetricTester, Tol

from invbench.contracts.media import Waveform
from invbench.contracts.metric import MetricInputError
from invbench.metrics.pesq_wb import PESQWideband

# (reference seed, how the degraded signal is made)
CASES = [
    (0, "identical"),
    (0, "snr30"),
    (1, "snr20"),
    (2, "snr10"),
    (3, "snr0"),
    (4, "shorter"),
    (5, "delayed"),
    (6, "quiet"),
]


def _degrade(kit, ref: np.ndarray, how: str, seed: int) -> np.ndarray:
    if how == "identical":
        return ref.copy()
    if how.startswith("snr"):
        return kit.add_noise(ref, float(how[3:]), seed)
    if how == "shorter":
        return kit.add_noise(ref, 20, seed)[: int(0.8 * ref.size)]
    if how == "delayed":
        return np.concatenate([np.zeros(800, np.float32), kit.add_noise(ref, 25, seed)[:-800]])
    if how == "quiet":
        return (0.1 * kit.add_noise(ref, 15, seed)).astype(np.float32)
    raise ValueError(how)


def _pesq(audio: Waveform, reference_audio: Waveform | None) -> dict[str, float] | None:
    """The reference: ``pesq.pesq(16000, ref, deg, "wb")`` (None where we do not score)."""
    if reference_audio is None or not audio.samples.any():
        return None
    ref, deg = reference_audio.samples.numpy(), audio.samples.numpy()
    return {"pesq_wb": pesq.pesq(16000, ref, deg, "wb")}


def test_matches_pesq(kit) -> None:
    """Every case of ``CASES``, then two shipped ``transcripts-mini`` clips under noise."""
    refs, degraded = [], []
    for seed, how in CASES:
        refs.append(kit.speechlike(seed))
        degraded.append(_degrade(kit, refs[-1], how, seed + 100))
    for index in (0, 3):
        refs.append(kit.real_speech(index))
        degraded.append(kit.add_noise(refs[-1], 15, index))
    fields = {
        "audio": [kit.wave(d) for d in degraded],
        "reference_audio": [kit.wave(r) for r in refs],
    }
    # each item once (PESQ is slow): batching is checked in test_batch_size_never_changes_a_score
    results = MetricTester(PESQWideband).run(fields, _pesq, Tol(abs=1e-6), splits=())
    assert all(error is None for _, error in results)  # all 10 compared, within the range


def test_more_noise_scores_lower(kit) -> None:
    ref = kit.speechlike(7)
    scores = [
        PESQWideband().score_item(
            audio=kit.wave(kit.add_noise(ref, snr, 1)), reference_audio=kit.wave(ref)
        )["pesq_wb"]
        for snr in (30, 15, 0)
    ]
    assert scores[0] > scores[1] > scores[2]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (pesq.NoUtterancesError(b"No utterances detected"), "no utterances"),
        (
            pesq.BufferTooShortError(b"Buffer needs to be at least 1/4 of a second long"),
            "BufferTooShortError: Buffer needs",
        ),
    ],
)
def test_pesq_errors_become_input_errors(kit, monkeypatch, error, message) -> None:
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(pesq, "pesq", fail)
    speech = kit.wave(kit.speechlike(0))
    with pytest.raises(MetricInputError, match=message):
        PESQWideband().score_item(audio=speech, reference_audio=speech)


def test_no_reference_is_not_scored(kit) -> None:
    assert PESQWideband().score_item(audio=kit.wave(kit.speechlike(0)), reference_audio=None) == {}


@pytest.mark.parametrize(
    ("audio", "reference", "message"),
    [
        ("speech22k", "speech", "sample rate is 22050 Hz, expected 16000"),
        ("speech", "speech22k", "sample rate is 22050 Hz, expected 16000"),
        ("silence", "speech", "digital silence"),
        ("speech", "silence", "digital silence"),
        ("underflow", "speech", "near-silent"),
        ("short", "short", "1/4 of a second"),
        ("nan", "speech", "NaN"),
        ("loud", "speech", "expected within"),
        ("stereo", "speech", "1-D"),
        ("ndarray", "speech", "must be a Waveform"),
    ],
)
def test_input_errors(kit, audio: str, reference: str, message: str) -> None:
    speech = kit.speechlike(0)

    def make(kind: str):
        if kind == "speech":
            return kit.wave(speech)
        if kind == "speech22k":
            return kit.wave(speech, 22050)
        if kind == "silence":
            return kit.wave(np.zeros_like(speech))
        if kind == "underflow":
            return kit.wave(np.full(speech.size, 1e-30))
        if kind == "short":
            return kit.wave(speech[:2000])
        if kind == "nan":
            return kit.wave(np.where(np.arange(speech.size) == 5, np.nan, speech))
        if kind == "loud":
            return kit.wave(3 * speech)
        if kind == "stereo":
            return kit.wave(torch.as_tensor(np.stack([speech, speech])))
        return speech

    with pytest.raises(MetricInputError, match=message):
        PESQWideband().score_item(audio=make(audio), reference_audio=make(reference))


def test_batch_size_never_changes_a_score(kit) -> None:
    refs = [kit.speechlike(s, seconds=2.0) for s in range(5)]
    audio = [kit.wave(kit.add_noise(r, 5 + 5 * i, i)) for i, r in enumerate(refs)]
    references = [kit.wave(r) for r in refs]
    references[2] = None  # not scored
    audio[4] = kit.wave(np.zeros(32000, np.float32))  # an input error
    fields = {"audio": audio, "reference_audio": references}
    results = MetricTester(PESQWideband).run(fields, _pesq, Tol(abs=1e-6))
    assert results[2] == ({}, None)
    assert results[4][1] is not None and "digital silence" in results[4][1]
    assert all(results[i][0] for i in (0, 1, 3))


def test_signature() -> None:
    expected = f"pesq_wb|mode:wb|sr:16000|length:native|pesq:{_pesq_version()}|version:1"
    declared = {"pesq_wb": (True, (1.0, 4.644))}  # MOS-LQO's range under P.862.2
    tester = MetricTester(PESQWideband, signature=expected, outputs=declared)
    tester.check_declaration(PESQWideband())
    assert tester.check_signature(PESQWideband()) == expected


def _pesq_version() -> str:
    from importlib.metadata import version

    return version("pesq")
