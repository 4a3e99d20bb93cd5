"""Shared helpers for the metric tests: seeded speech-like audio and a batch-invariance check."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from scipy import signal

import invbench
from invbench.contracts.media import Waveform
from invbench.contracts.metric import Metric

SR = 16_000
TARGETS = Path(invbench.__file__).resolve().parent.parent / "data" / "targets"


def speechlike(seed: int, seconds: float = 3.0, sr: int = SR) -> np.ndarray:
    """A formant-filtered harmonic source with a syllable-rate envelope and pauses, in [-0.5, 0.5].

    Speech-like enough for PESQ's voice activity detector and STOI's silent-frame removal.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    f0 = 110 + 30 * rng.random() + 15 * np.sin(2 * np.pi * (0.5 + rng.random()) * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    source = sum((0.9**k) * np.sin(k * phase) for k in range(1, 30))
    voiced = np.zeros(n)
    for centre, width in (
        (500 + 200 * rng.random(), 80),
        (1500 + 400 * rng.random(), 120),
        (2500 + 300 * rng.random(), 160),
    ):
        r = np.exp(-np.pi * width / sr)
        theta = 2 * np.pi * centre / sr
        voiced += signal.lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], source)
    envelope = np.clip(np.sin(2 * np.pi * (3 + 2 * rng.random()) * t + 6 * rng.random()), 0, None)
    gate = (np.sin(2 * np.pi * 0.4 * t + 6 * rng.random()) > -0.6).astype(float)
    envelope = signal.lfilter([0.01], [1, -0.99], envelope**0.7 * gate)
    x = voiced * envelope + 0.003 * rng.standard_normal(n)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def real_speech(index: int) -> np.ndarray | None:
    """Clip ``t00<index>`` of the shipped ``transcripts-mini`` target set, or None if absent."""
    path = TARGETS / "transcripts-mini" / "audio" / f"t{index:03d}.wav"
    if not path.is_file():
        return None
    import soundfile

    samples, rate = soundfile.read(path, dtype="float32")
    return samples if rate == SR and samples.ndim == 1 else None


def add_noise(x: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """``x`` plus white noise at ``snr_db``, clipped to [-1, 1]."""
    noise = np.random.default_rng(seed).standard_normal(x.size)
    noise *= np.linalg.norm(x) / np.linalg.norm(noise) / 10 ** (snr_db / 20)
    return np.clip(x + noise, -1, 1).astype(np.float32)


def wave(x: np.ndarray | torch.Tensor, sr: int = SR) -> Waveform:
    return Waveform(torch.as_tensor(x), sr)


def _as_tuples(results: Sequence[Any]) -> list[tuple[dict[str, float], str | None]]:
    return [(dict(r.values), r.error) for r in results]


def check_batch_invariance(
    metric_factory: Callable[[], Metric], fields: Mapping[str, Sequence[Any]]
) -> list[Any]:
    """Score ``fields`` as one batch, in splits of 1 and of 3, and shuffled: all per-item equal."""
    n = len(next(iter(fields.values())))
    whole = _as_tuples(metric_factory().score(fields))
    assert len(whole) == n

    def split(size: int) -> list[tuple[dict[str, float], str | None]]:
        metric = metric_factory()
        out = []
        for start in range(0, n, size):
            out += _as_tuples(
                metric.score({k: list(v[start : start + size]) for k, v in fields.items()})
            )
        return out

    order = list(range(n))
    random.Random(0).shuffle(order)
    shuffled = _as_tuples(
        metric_factory().score({k: [v[i] for i in order] for k, v in fields.items()})
    )
    unshuffled: list[Any] = [None] * n
    for position, index in enumerate(order):
        unshuffled[index] = shuffled[position]
    assert split(1) == whole
    assert split(3) == whole
    assert unshuffled == whole
    return whole


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """On the 2-core test machines torch's intra-op pool makes tiny elementwise ops (the
    waveform validation) ~100x slower; one thread changes no value, only the test time."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers above, as one fixture (test modules do not import conftest)."""
    return SimpleNamespace(
        SR=SR,
        speechlike=speechlike,
        add_noise=add_noise,
        real_speech=real_speech,
        wave=wave,
        check_batch_invariance=check_batch_invariance,
    )
