"""DNSMOS against a direct ``speechmos.dnsmos.run(audio, sr=16000)`` call.

Clips are 2.3 s long: speechmos tiles a short clip by doubling until it covers one 9.01 s window,
and 2.3 s doubles to 9.2 s, a single window (a 3 s clip would give three), so each call is cheap.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from typing import Any

import numpy as np
import pytest
import torch
from metric_tester import MetricTester, Tol
from speechmos import dnsmos as speechmos_dnsmos

from invbench.contracts.media import Waveform
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


def _speechmos(audio: Any) -> dict[str, float] | None:
    """The reference: ``speechmos.dnsmos.run(samples, sr=16000)`` (None where we refuse)."""
    if not isinstance(audio, Waveform) or audio.sample_rate != 16000:
        return None
    expected = speechmos_dnsmos.run(audio.samples.numpy(), sr=16000)
    return {ours: float(expected[theirs]) for ours, theirs in KEYS.items()}


def test_matches_speechmos(kit) -> None:
    """Speech, noise, an 11 s clip (two windows) and a shipped ``transcripts-mini`` clip."""
    clips = [_clip(kit, kind) for kind in ("speech", "noise", "long")] + [kit.real_speech(0)]
    fields = {"audio": [kit.wave(c) for c in clips]}
    # each item once (DNSMOS is slow): batching is checked in test_batch_size_never_changes_...
    results = MetricTester(DNSMOS).run(fields, _speechmos, Tol(abs=1e-6), splits=())
    assert all(error is None and set(values) == set(KEYS) for values, error in results)


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
    results = MetricTester(DNSMOS).run({"audio": audio})  # speechmos: test_matches_speechmos
    assert all(set(results[i][0]) == set(KEYS) for i in (0, 2))
    assert results[1][1] is not None and "16000" in results[1][1]
    assert results[3][1] is not None and "must be a Waveform" in results[3][1]


def test_signature() -> None:
    primary, p808 = dnsmos_module.model_paths()
    digest = "+".join(hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in (primary, p808))
    assert primary.name == "sig_bak_ovr.onnx" and primary.parent.name == "dnsmos_models"
    expected = (
        f"dnsmos|model:DNSMOS P.835 sig_bak_ovr.onnx + P.808|sha256:{digest}|personalized:no"
        f"|sr:16000|speechmos:{version('speechmos')}|version:1"
    )
    tester = MetricTester(DNSMOS, signature=expected, outputs=dict.fromkeys(KEYS, (True, (1, 5))))
    tester.check_declaration(DNSMOS())
    assert tester.check_signature(DNSMOS()) == expected
