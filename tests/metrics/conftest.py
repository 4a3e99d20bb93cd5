"""Shared helpers for the metric tests: seeded speech-like audio, the shipped speech clips.

The checks every metric shares (reference, batching, signature, range) are in
``metric_tester.py``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile
import torch
from scipy import signal

import invbench
from invbench.contracts.media import Waveform

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


def real_speech(index: int) -> np.ndarray:
    """Clip ``t00<index>`` of the shipped ``transcripts-mini`` set (committed, so it must exist)."""
    path = TARGETS / "transcripts-mini" / "audio" / f"t{index:03d}.wav"
    assert path.is_file(), f"{path} is committed in the repository but missing"
    samples, rate = soundfile.read(path, dtype="float32")
    assert (rate, samples.ndim) == (SR, 1), f"{path}: {rate} Hz, {samples.ndim}-D"
    return samples


def add_noise(x: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """``x`` plus white noise at ``snr_db``, clipped to [-1, 1]."""
    noise = np.random.default_rng(seed).standard_normal(x.size)
    noise *= np.linalg.norm(x) / np.linalg.norm(noise) / 10 ** (snr_db / 20)
    return np.clip(x + noise, -1, 1).astype(np.float32)


def wave(x: np.ndarray | torch.Tensor, sr: int = SR) -> Waveform:
    return Waveform(torch.as_tensor(x), sr)


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
    )
