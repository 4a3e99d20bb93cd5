"""Log-mel DTW distance and its projection gap, against librosa's melspectrogram and DTW."""

from __future__ import annotations

import time

import librosa
import numpy as np
import pytest
import torch
from metric_tester import MetricTester, Tol

from invbench.contracts.media import Waveform
from invbench.contracts.metric import MetricInputError
from invbench.metrics.spectral_distance import (
    MelDTWDistance,
    MelProjectionGap,
    dtw,
    dtw_distance,
    log_mel,
    mel_filterbank,
    mel_power,
)
from invbench.plugins.catalog import METRICS

SR = 16_000


def _librosa_mel(y: np.ndarray) -> np.ndarray:
    """librosa's mel power, (frames, 80), with a float64 filterbank (its default is float32)."""
    return librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=512, hop_length=160, win_length=400, window="hann", center=True,
        pad_mode="constant", power=2.0, n_mels=80, dtype=np.float64,
    ).T


def _chirp(seconds: float, f0: float, f1: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return 0.4 * np.sin(2 * np.pi * (f0 + (f1 - f0) * t / (2 * seconds)) * t)


def _noise(seconds: float, seed: int, level: float = 0.1) -> np.ndarray:
    return level * np.random.default_rng(seed).uniform(-1.0, 1.0, int(seconds * SR))


def _signals(kit) -> dict[str, np.ndarray]:
    return {
        "speechlike": kit.speechlike(0, 1.5).astype(np.float64),
        "chirp": _chirp(0.7, 100, 6000),
        "noise": _noise(0.4, 1),
        "silence": np.zeros(8000),
        "one_sample": np.array([0.25]),
        "one_window": _noise(400 / SR, 2),
        "odd_length": _noise(16037 / SR, 3),
        "float32": kit.speechlike(1, 0.5),
    }


# ----------------------------------------------------------------------------- front end


def test_filterbank_is_librosas() -> None:
    expected = librosa.filters.mel(sr=SR, n_fft=512, n_mels=80, dtype=np.float64)
    np.testing.assert_allclose(mel_filterbank(), expected, rtol=1e-12, atol=1e-15)
    assert expected.shape == (80, 257)
    with pytest.raises(ValueError):
        mel_filterbank()[0, 0] = 1.0  # read-only: shared by every call


@pytest.mark.filterwarnings("ignore:n_fft=512 is too large:UserWarning")  # librosa, short clips
@pytest.mark.parametrize(
    "name",
    ["speechlike", "chirp", "noise", "silence", "one_sample", "one_window", "odd_length",
     "float32"],
)
def test_log_mel_matches_librosa(kit, name: str) -> None:
    y = _signals(kit)[name]
    expected_power = _librosa_mel(y.astype(np.float64))
    ours = log_mel(y)
    assert ours.shape == expected_power.shape == (1 + y.size // 160, 80)
    np.testing.assert_allclose(mel_power(y), expected_power, rtol=1e-10, atol=1e-18)
    np.testing.assert_allclose(ours, np.log10(np.maximum(expected_power, 1e-10)), atol=1e-9)


def test_log_floor() -> None:
    assert np.all(log_mel(np.zeros(1600)) == -10.0)
    assert log_mel(_chirp(0.2, 300, 3000)).max() > -10.0


def test_log_mel_rejects_bad_arrays() -> None:
    with pytest.raises(ValueError, match="non-empty 1-D"):
        log_mel(np.zeros(0))
    with pytest.raises(ValueError, match="non-empty 1-D"):
        log_mel(np.zeros((2, 800)))


# ----------------------------------------------------------------------------- DTW


def _random(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d))


def _ties(n: int, seed: int) -> np.ndarray:
    """Few distinct integer frames: many equal-cost paths, so backtracking ties matter."""
    return np.random.default_rng(seed).integers(0, 3, (n, 2)).astype(np.float64)


def _dtw_cases(kit) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    speech = kit.speechlike(4, 1.2)
    return {
        "1x1": (_random(1, 80, 0), _random(1, 80, 1)),
        "1x7": (_random(1, 80, 2), _random(7, 80, 3)),
        "9x1": (_random(9, 80, 4), _random(1, 80, 5)),
        "2x2": (_random(2, 80, 6), _random(2, 80, 7)),
        "random 40x40": (_random(40, 80, 8), _random(40, 80, 9)),
        "random 37x91": (_random(37, 80, 10), _random(91, 80, 11)),
        "random 150x60": (_random(150, 80, 12), _random(60, 80, 13)),
        "ties 1-d 30x45": (_ties(30, 14)[:, :1], _ties(45, 15)[:, :1]),
        "ties 50x20": (_ties(50, 16), _ties(20, 17)),
        "all equal 5x8": (np.zeros((5, 3)), np.zeros((8, 3))),
        "all equal 8x5": (np.ones((8, 3)), np.ones((5, 3))),
        "chirps": (log_mel(_chirp(0.9, 200, 5000)), log_mel(_chirp(1.3, 300, 4000))),
        "chirp vs noise": (log_mel(_chirp(0.5, 200, 5000)), log_mel(_noise(0.8, 18))),
        "noise vs noise": (log_mel(_noise(0.6, 19)), log_mel(_noise(0.35, 20, 0.01))),
        "speech vs stretched": (
            log_mel(speech),
            log_mel(np.concatenate([speech[:8000], np.zeros(3000), speech[8000:]])),
        ),
        "silence vs chirp": (log_mel(np.zeros(3000)), log_mel(_chirp(0.3, 100, 900))),
        "one frame vs speech": (log_mel(_noise(0.005, 21)), log_mel(speech)),
    }


CASES = [
    "1x1", "1x7", "9x1", "2x2", "random 40x40", "random 37x91", "random 150x60",
    "ties 1-d 30x45", "ties 50x20", "all equal 5x8", "all equal 8x5", "chirps", "chirp vs noise",
    "noise vs noise", "speech vs stretched", "silence vs chirp", "one frame vs speech",
]


@pytest.mark.parametrize("case", CASES)
def test_dtw_matches_librosa(kit, case: str) -> None:
    a, b = _dtw_cases(kit)[case]
    accumulated, path = librosa.sequence.dtw(X=a.T, Y=b.T, metric="euclidean")
    ours = dtw(a, b)
    assert ours.cost == pytest.approx(accumulated[-1, -1], rel=1e-9, abs=1e-12)
    assert ours.path_length == len(path)
    assert dtw_distance(a, b) == pytest.approx(accumulated[-1, -1] / len(path), rel=1e-9)
    # symmetric in cost (the path may differ on ties, not its optimal cost)
    assert dtw(b, a).cost == pytest.approx(ours.cost, rel=1e-9, abs=1e-12)


def test_dtw_length_one_edges() -> None:
    a, b = _random(1, 4, 0), _random(6, 4, 1)
    assert dtw(a, b).path_length == 6
    assert dtw(a, b).cost == pytest.approx(np.linalg.norm(b - a, axis=1).sum())
    assert dtw(a, a) == (0.0, 1)


def test_dtw_rejects_bad_sequences() -> None:
    with pytest.raises(ValueError, match="features per frame"):
        dtw(np.zeros((3, 80)), np.zeros((3, 40)))
    with pytest.raises(ValueError, match="frames >= 1"):
        dtw(np.zeros((0, 80)), np.zeros((3, 80)))
    with pytest.raises(ValueError, match="frames >= 1"):
        dtw(np.zeros(80), np.zeros((3, 80)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        dtw(np.full((2, 80), np.nan), np.zeros((3, 80)))


def test_dtw_speed_600_frames() -> None:
    a, b = _random(600, 80, 0), _random(600, 80, 1)
    dtw(a, b)  # warm-up (allocations, scipy import)
    start = time.perf_counter()
    dtw(a, b)
    assert time.perf_counter() - start < 1.0


# ----------------------------------------------------------------------------- the metrics


def test_identical_audio_is_distance_zero(kit) -> None:
    clip = kit.wave(kit.speechlike(0, 1.0))
    assert MelDTWDistance().score_item(audio=clip, reference_audio=clip) == {
        "mel_dtw_distance": 0.0
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_inserted_pause_is_closer_than_another_signal(kit, seed: int) -> None:
    """The same clip with a 0.3 s pause inserted mid-way is nearer (DTW absorbs the pause) than a
    different clip; a pause of digital silence costs more than one at the background level."""
    x = kit.speechlike(seed, 2.0)
    background = 0.003 * np.random.default_rng(seed).standard_normal(4800)
    quiet_pause = np.concatenate([x[:16000], background, x[16000:]]).astype(np.float32)
    zero_pause = np.concatenate([x[:16000], np.zeros(4800), x[16000:]]).astype(np.float32)
    other = kit.speechlike(seed + 10, 2.0)
    metric = MelDTWDistance()

    def distance(y: np.ndarray) -> float:
        return metric.score_item(audio=kit.wave(y), reference_audio=kit.wave(x))[
            "mel_dtw_distance"]

    assert distance(quiet_pause) < distance(zero_pause) < distance(other)
    assert distance(quiet_pause) < 0.5 * distance(other)


def test_time_stretched_real_speech_is_closer_than_other_speech(kit) -> None:
    speech, other = kit.real_speech(0), kit.real_speech(1)
    slow = librosa.effects.time_stretch(speech, rate=0.8)
    slow = np.clip(slow, -1, 1).astype(np.float32)
    metric = MelDTWDistance()
    stretched = metric.score_item(audio=kit.wave(slow), reference_audio=kit.wave(speech))
    different = metric.score_item(audio=kit.wave(other), reference_audio=kit.wave(speech))
    assert stretched["mel_dtw_distance"] < different["mel_dtw_distance"]


def _librosa_distance(audio: Waveform | None, reference_audio: Waveform | None):
    """The reference: librosa's log-mel of both clips, librosa's DTW, cost over path length
    (None where we do not score: a clip missing or at another rate)."""
    if audio is None or reference_audio is None or audio.sample_rate != SR:
        return None
    a, b = (np.log10(np.maximum(_librosa_mel(w.samples.numpy().astype(np.float64)), 1e-10))
            for w in (audio, reference_audio))  # fmt: skip
    accumulated, path = librosa.sequence.dtw(X=a.T, Y=b.T, metric="euclidean")
    return {"mel_dtw_distance": accumulated[-1, -1] / len(path)}


def test_matches_the_functional_core_and_librosa(kit) -> None:
    x, y = kit.speechlike(0, 1.0), kit.speechlike(1, 1.3)
    fields = {"audio": [kit.wave(x)], "reference_audio": [kit.wave(y)]}
    (got, _), = MetricTester(MelDTWDistance).run(fields, _librosa_distance, Tol(rel=1e-9))
    a, b = log_mel(x), log_mel(y)
    assert got["mel_dtw_distance"] == dtw_distance(a, b)  # the functional core, exactly


def test_missing_audio_or_reference_is_not_scored(kit) -> None:
    clip = kit.wave(kit.speechlike(0, 0.5))
    distance, gap = MelDTWDistance(), MelProjectionGap()
    assert distance.score_item(audio=None, reference_audio=clip) == {}
    assert distance.score_item(audio=clip, reference_audio=None) == {}
    assert distance.score_item(audio=clip) == {}
    assert gap.score_item(soft_audio=None, audio=clip, reference_audio=clip) == {}
    assert gap.score_item(soft_audio=clip, audio=clip, reference_audio=None) == {}


@pytest.mark.parametrize(
    ("field", "make", "message"),
    [
        ("audio", lambda s: (s, 22050), "audio: .*22050 Hz, expected 16000 Hz .*does not resample"),
        ("reference_audio", lambda s: (s, 8000), "reference_audio: .*expected 16000 Hz"),
        ("audio", lambda s: (s[:0], SR), "audio: waveform is empty"),
        ("audio", lambda s: (s[:399], SR), "audio has 399 samples, shorter than one analysis"),
        ("reference_audio", lambda s: (s[:1], SR), "reference_audio has 1 samples"),
        ("audio", lambda s: (np.where(np.arange(s.size) == 3, np.nan, s), SR), "NaN or infinite"),
        ("reference_audio", lambda s: (2 * s + 0.5, SR), "reference_audio: .*expected within"),
        ("audio", lambda s: (torch.as_tensor(np.stack([s, s])), SR), "audio: .*1-D"),
    ],
)
def test_input_errors_name_the_field(kit, field: str, make, message: str) -> None:
    clip = kit.speechlike(0, 0.5)
    samples, rate = make(clip)
    fields = {"audio": kit.wave(clip), "reference_audio": kit.wave(clip)}
    fields[field] = kit.wave(samples, rate)
    with pytest.raises(MetricInputError, match=message):
        MelDTWDistance().score_item(**fields)


def test_gap_input_errors_name_the_field(kit) -> None:
    clip = kit.wave(kit.speechlike(0, 0.5))
    with pytest.raises(MetricInputError, match="soft_audio: .*expected 16000 Hz"):
        MelProjectionGap().score_item(
            soft_audio=kit.wave(kit.speechlike(0, 0.5), 22050), audio=clip, reference_audio=clip
        )
    with pytest.raises(MetricInputError, match="audio must be a Waveform"):
        MelProjectionGap().score_item(soft_audio=clip, audio=None, reference_audio=clip)
    with pytest.raises(MetricInputError, match="audio must be a Waveform"):
        MelDTWDistance().score_item(audio=np.zeros(1600, np.float32), reference_audio=clip)


def test_projection_gap_sign(kit) -> None:
    reference = kit.wave(kit.speechlike(0, 1.0))
    hard = kit.wave(kit.speechlike(5, 1.0))
    distance, gap = MelDTWDistance(), MelProjectionGap()
    hard_distance = distance.score_item(audio=hard, reference_audio=reference)["mel_dtw_distance"]
    # soft = reference: the soft prompt reaches the target, its projection does not
    assert gap.score_item(soft_audio=reference, audio=hard, reference_audio=reference) == {
        "projection_gap": hard_distance
    }
    assert hard_distance > 0
    # the other way round: the projection does better, a negative gap
    swapped = gap.score_item(soft_audio=hard, audio=reference, reference_audio=reference)
    assert swapped == {"projection_gap": -hard_distance}
    assert gap.score_item(soft_audio=hard, audio=hard, reference_audio=reference) == {
        "projection_gap": 0.0
    }


def test_gap_is_the_difference_of_two_distances(kit) -> None:
    reference, soft, hard = (kit.wave(kit.speechlike(s, 0.8)) for s in (0, 1, 2))
    distance = MelDTWDistance()
    expected = (
        distance.score_item(audio=hard, reference_audio=reference)["mel_dtw_distance"]
        - distance.score_item(audio=soft, reference_audio=reference)["mel_dtw_distance"]
    )
    got = MelProjectionGap().score_item(soft_audio=soft, audio=hard, reference_audio=reference)
    assert got == {"projection_gap": expected}


def test_batch_size_never_changes_a_score(kit) -> None:
    clips = [kit.speechlike(s, 0.6 + 0.1 * s) for s in range(4)]
    waves = [kit.wave(c) for c in clips]
    audio = [waves[1], waves[0], None, kit.wave(clips[2], 22050), waves[3], waves[2], waves[0]]
    reference = [waves[0], waves[0], waves[1], waves[1], None, waves[3], waves[2]]
    results = MetricTester(MelDTWDistance).run(
        {"audio": audio, "reference_audio": reference}, _librosa_distance, Tol(rel=1e-9)
    )
    assert results[1] == ({"mel_dtw_distance": 0.0}, None)
    assert results[2] == ({}, None) and results[4] == ({}, None)
    assert results[3][1] is not None and "16000" in results[3][1]
    assert all(set(results[i][0]) == {"mel_dtw_distance"} for i in (0, 5, 6))

    soft = [waves[0], None, waves[3], waves[2], waves[1], waves[1], kit.wave(clips[0], 8000)]
    gaps = MetricTester(MelProjectionGap).run(
        {"soft_audio": soft, "audio": audio[:2] + waves[:2] + waves[1:4],
         "reference_audio": [waves[0]] * 7},
    )
    assert gaps[0][0]["projection_gap"] > 0 and gaps[1] == ({}, None)
    assert gaps[6][1] is not None and "soft_audio" in gaps[6][1]


def test_registered_with_their_cards() -> None:
    assert METRICS.get("mel_dtw_distance") is MelDTWDistance
    assert METRICS.get("mel_projection_gap") is MelProjectionGap
    assert [o.name for o in MelProjectionGap.outputs] == ["projection_gap"]


def test_signatures() -> None:
    for factory in (MelDTWDistance, MelProjectionGap):
        MetricTester(factory).check_signature(factory())
    front_end = (
        "sr:16000|n_fft:512|win:400|window:hann-periodic|hop:160|pad:center-zeros|n_mels:80"
        "|fmin:0|fmax:8000|mel_scale:slaney|mel_norm:slaney|power:2|log:log10-floor-1e-10"
        "|dtw_steps:(1,0)(0,1)(1,1)-equal-weights|dtw_cost:euclidean|dtw_norm:path-length"
        "|dtype:float64"
    )
    assert MelDTWDistance().signature() == f"mel_dtw_distance|{front_end}|version:1"
    assert MelProjectionGap().signature() == (
        f"mel_projection_gap|{front_end}|gap:hard-minus-soft distance|version:1"
    )
