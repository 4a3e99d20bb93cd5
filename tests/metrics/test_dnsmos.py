"""DNSMOS against a direct ``speechmos.dnsmos.run(audio, sr=16000)`` call.

Clips are 2.3 s long: speechmos tiles a short clip by doubling until it covers one 9.01 s window,
and 2.3 s doubles to 9.2 s, a single window (a 3 s clip would give three), so each call is cheap.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version

import numpy as np
import pytest
import torch
from speechmos import dnsmos as speechmos_dnsmos

from invbench.contracts.metric import MetricInputError
from invbench.metrics import dnsmos as dnsmos_module
from invbench.metrics.dnsmos import DNSMOS

SECONDS = 2.3
KEYS = {
    "dnsmos_sig": "sig_mos",
    "dnsmos_bak": "bak_mos",
    "dnsmos_ovrl": "ovrl_mos",
    "dnsmos_p808": "p808_mos",
}


def _clip(kit, kind: str) -> np.ndarray:
    if kind == "speech":
        return kit.speechlike(0, SECONDS)
    if kind == "noisy":
        return kit.add_noise(kit.speechlike(1, SECONDS), 5, 1)
    if kind == "noise":
        return (0.1 * np.random.default_rng(2).standard_normal(int(SECONDS * 16000))).astype(
            np.float32
        )
    if kind == "long":  # 11 s: two windows (hop 1 s), no tiling
        return kit.speechlike(3, 11.0)
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["speech", "noise", "long"])
def test_matches_speechmos(kit, kind: str) -> None:
    audio = _clip(kit, kind)
    expected = speechmos_dnsmos.run(audio, sr=16000)
    got = DNSMOS().score_item(audio=kit.wave(audio))
    assert set(got) == set(KEYS)
    for ours, theirs in KEYS.items():
        assert got[ours] == pytest.approx(float(expected[theirs]), abs=1e-6), ours


def test_matches_speechmos_on_real_speech_if_shipped(kit) -> None:
    speech = kit.real_speech(0)
    if speech is None:
        pytest.skip("data/targets/transcripts-mini is not in this checkout")
    expected = speechmos_dnsmos.run(speech, sr=16000)
    got = DNSMOS().score_item(audio=kit.wave(speech))
    for ours, theirs in KEYS.items():
        assert got[ours] == pytest.approx(float(expected[theirs]), abs=1e-6), ours


def test_clean_beats_noise(kit) -> None:
    speech = DNSMOS().score_item(audio=kit.wave(_clip(kit, "speech")))
    noise = DNSMOS().score_item(audio=kit.wave(_clip(kit, "noise")))
    assert speech["dnsmos_bak"] > noise["dnsmos_bak"]
    assert speech["dnsmos_ovrl"] > noise["dnsmos_ovrl"]


def test_sessions_are_built_once(kit) -> None:
    first = dnsmos_module._predictor()
    DNSMOS().score_item(audio=kit.wave(_clip(kit, "speech")))
    assert dnsmos_module._predictor() is first


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: (s, 22050), "sample rate is 22050 Hz, expected 16000 Hz .*does not resample"),
        (lambda s: (s, 8000), "expected 16000 Hz"),
        (lambda s: (s[:0], 16000), "waveform is empty"),
        (lambda s: (np.where(np.arange(s.size) == 3, np.inf, s), 16000), "NaN or infinite"),
        (lambda s: (2 * s + 0.5, 16000), "expected within"),
        (lambda s: (torch.as_tensor(np.stack([s, s])), 16000), "1-D"),
    ],
)
def test_input_errors(kit, make, message: str) -> None:
    samples, rate = make(_clip(kit, "speech"))
    with pytest.raises(MetricInputError, match=message):
        DNSMOS().score_item(audio=kit.wave(samples, rate))


def test_not_a_waveform() -> None:
    with pytest.raises(MetricInputError, match="audio must be a Waveform"):
        DNSMOS().score_item(audio=np.zeros(16000, np.float32))


def test_batch_size_never_changes_a_score(kit) -> None:
    clips = [_clip(kit, k) for k in ("speech", "noisy")]
    audio = [kit.wave(clips[0]), kit.wave(clips[0], 22050), kit.wave(clips[1]), None]
    results = kit.check_batch_invariance(DNSMOS, {"audio": audio})
    assert all(set(results[i][0]) == set(KEYS) for i in (0, 2))
    assert results[1][1] is not None and "16000" in results[1][1]
    assert results[3][1] is not None and "must be a Waveform" in results[3][1]


def test_signature() -> None:
    primary, p808 = dnsmos_module.model_paths()
    digest = "+".join(hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in (primary, p808))
    assert primary.name == "sig_bak_ovr.onnx" and primary.parent.name == "dnsmos_models"
    assert DNSMOS().signature() == (
        f"dnsmos|model:DNSMOS P.835 sig_bak_ovr.onnx + P.808|sha256:{digest}|personalized:no"
        f"|sr:16000|speechmos:{version('speechmos')}|version:1"
    )
