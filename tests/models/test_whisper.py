"""Whisper tiny.en: lossless conversion, stock transcription, differentiable objective.

The model is converted into a temporary cache once per module (so the conversion path itself is
exercised and the user's cache is never touched) and shared by every test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import whisper

from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.media import Waveform
from invbench.models.whisper.asr import WhisperASR, fit_frames
from invbench.models.whisper.convert import (
    conversion_mapping,
    conversion_record,
    derive_dims,
    source_model_path,
)
from invbench.models.whisper.ctranslate2_reader import read_ctranslate2_model

TARGETS = Path(__file__).resolve().parents[2] / "data" / "targets" / "transcripts-mini"
SR = 16000


@pytest.fixture(scope="module")
def asr(tmp_path_factory: pytest.TempPathFactory):
    """One WhisperASR for the module, converted into a private cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INVBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
        torch.set_num_threads(2)
        yield WhisperASR()


def load_targets(n: int) -> list[tuple[str, torch.Tensor]]:
    """The first ``n`` committed targets as (text, 16 kHz samples)."""
    lines = (TARGETS / "targets.jsonl").read_text(encoding="utf-8").splitlines()[:n]
    out = []
    for line in lines:
        row = json.loads(line)
        samples, rate = sf.read(TARGETS / row["hidden"]["audio"], dtype="float32")
        assert rate == SR
        out.append((row["target"]["text"], torch.from_numpy(samples)))
    return out


def fit_length(x: torch.Tensor, n: int) -> torch.Tensor:
    return torch.nn.functional.pad(x, (0, max(0, n - x.numel())))[:n]


# (a) conversion ---------------------------------------------------------------------------------


def test_every_ct2_variable_is_converted_exactly_once_and_losslessly(asr: WhisperASR) -> None:
    ct2 = read_ctranslate2_model(source_model_path())
    assert ct2.spec_name == "WhisperSpec" and len(ct2.stored_names) == 148
    assert ct2.variables["decoder/projection/weight"] is ct2.variables["decoder/embeddings/weight"]
    dims = derive_dims(ct2)
    assert dims == {k: getattr(asr.dims, k) for k in dims}
    rules = conversion_mapping(dims)
    sources = [rule.source for rule in rules]
    assert len(sources) == len(set(sources)) and set(sources) == set(ct2.stored_names)

    state = asr.model.state_dict()
    covered: list[str] = []
    for rule in rules:
        array = ct2.variables[rule.source]
        if not rule.pieces:
            if rule.scalar is not None:
                assert int(array) == rule.scalar, rule.source
            continue
        assert array.dtype == np.float16, rule.source
        for key, start, stop in rule.pieces:
            part = torch.from_numpy(array[start:stop]).float()
            if key is None:  # the key projections' bias whisper does not have
                assert not part.any(), rule.source
                continue
            assert torch.equal(state[key], part), key
            covered.append(key)
    assert sorted(covered) == sorted(state)  # every whisper tensor, exactly once

    checkpoint = torch.load(asr.checkpoint, weights_only=True)
    assert checkpoint["dims"] == dims
    assert {t.dtype for t in checkpoint["model_state_dict"].values()} == {torch.float16}
    assert asr.weights_sha256 == conversion_record()["state_sha256"]
    assert asr.describe()["dims"]["n_mels"] == asr.n_mels == 80


def test_reader_rejects_truncated_and_foreign_files(tmp_path: Path) -> None:
    head = source_model_path().read_bytes()[:4096]
    (tmp_path / "cut.bin").write_bytes(head)
    with pytest.raises(InvbenchError, match="truncated"):
        read_ctranslate2_model(tmp_path / "cut.bin")
    (tmp_path / "v5.bin").write_bytes((5).to_bytes(4, "little") + head[4:])
    with pytest.raises(InvbenchError, match="version 5"):
        read_ctranslate2_model(tmp_path / "v5.bin")


# (b) scoring path -------------------------------------------------------------------------------


def test_run_transcribes_the_shipped_references(asr: WhisperASR) -> None:
    from whisper.normalizers import EnglishTextNormalizer

    normalise = EnglishTextNormalizer()
    targets = load_targets(4)
    hypotheses = asr.run([Waveform(samples, SR) for _, samples in targets])
    assert [normalise(h) for h in hypotheses] == [normalise(text) for text, _ in targets]


# (c) differentiable front end -------------------------------------------------------------------


def test_log_mel_matches_whisper_per_item(asr: WhisperASR) -> None:
    speech = load_targets(1)[0][1]
    quiet = 1e-3 * torch.randn(speech.numel(), generator=torch.Generator().manual_seed(0))
    batch = torch.stack([whisper.pad_or_trim(speech), whisper.pad_or_trim(quiet)])
    batch.requires_grad_(True)
    ours = asr.log_mel(batch)
    for i in range(2):  # whisper computes each item alone: its floor must not see the batch
        expected = whisper.log_mel_spectrogram(batch[i].detach(), n_mels=asr.n_mels)
        torch.testing.assert_close(ours[i], expected, atol=1e-5, rtol=0)
    ours.sum().backward()
    assert torch.isfinite(batch.grad).all() and batch.grad.abs().sum() > 0
    # the "fit" objective transforms only the frames the audio touches: same values there
    short = torch.stack([speech, quiet])
    frames = fit_frames(short.shape[-1])
    torch.testing.assert_close(asr.window_mel(short, frames), ours[:, :, :frames].detach())


# (d) objective ----------------------------------------------------------------------------------


def test_objective_is_per_item_differentiable_and_reports_success(asr: WhisperASR) -> None:
    (_, t0), (text1, speech) = load_targets(2)
    n = speech.numel()
    noise = 0.01 * torch.randn(n, generator=torch.Generator().manual_seed(1))
    x = torch.stack([speech, fit_length(t0, n), noise]).requires_grad_(True)
    texts = [{"text": text1}, {"text": "Feed the cat."}, {"text": "A much longer sentence here."}]

    alone = asr.objective(x[:1], texts[:1])
    batch = asr.objective(x, texts)
    assert batch.loss.shape == (3,) and batch.success.shape == (3,)
    torch.testing.assert_close(batch.loss[0], alone.loss[0], atol=1e-5, rtol=0)
    assert bool(alone.success[0]) and not bool(batch.success[2])
    mismatched = asr.objective(x[:1], [{"text": "Feed the cat."}])
    assert not bool(mismatched.success[0]) and mismatched.loss[0] > alone.loss[0]

    batch.loss[0].backward()
    grad = x.grad
    assert torch.isfinite(grad).all() and grad[0].abs().sum() > 0
    assert grad[1:].abs().sum() == 0  # item 0's loss depends on item 0 only


def test_objective_rejects_unknown_options(asr: WhisperASR) -> None:
    with pytest.raises(InvbenchError, match="full, fit"):
        asr.objective(torch.zeros(1, SR), [{"text": "Hi."}], encoder_frames="half")
    with pytest.raises(InvbenchError, match="non-empty"):
        asr.objective(torch.zeros(1, SR), [{"text": "  "}])


# (e) the cheap "fit" encoder --------------------------------------------------------------------


def test_fit_objective_decreases_under_adam(asr: WhisperASR) -> None:
    gen = torch.Generator().manual_seed(0)
    x = (1e-3 * torch.randn(1, 2 * SR, generator=gen)).requires_grad_(True)
    target = [{"text": "Open the door."}]
    opt = torch.optim.Adam([x], lr=1e-3)
    losses = []
    for _ in range(30):
        result = asr.objective(x, target, encoder_frames="fit")
        losses.append(float(result.loss[0].detach()))
        opt.zero_grad()
        result.loss.sum().backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(-1.0, 1.0)
    assert result.extras["mel_frames"] == fit_frames(2 * SR) == 200
    assert min(losses[-5:]) < 0.7 * losses[0], losses


# (f) call counters ------------------------------------------------------------------------------


def test_calls_are_counted_per_item(asr: WhisperASR) -> None:
    forward, backward = asr.calls.snapshot()
    x = torch.zeros(2, SR, requires_grad=True)
    result = asr.objective(x, [{"text": "One."}, {"text": "Two."}], encoder_frames="fit")
    assert asr.calls.snapshot() == (forward + 2, backward)
    result.loss.sum().backward()
    assert asr.calls.snapshot() == (forward + 2, backward + 2)
    asr.run([Waveform(torch.zeros(SR), SR)])
    assert asr.calls.snapshot() == (forward + 3, backward + 2)


# (g) validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wave",
    [
        Waveform(torch.full((SR,), float("nan")), SR),
        Waveform(torch.zeros(SR), 8000),
        Waveform(torch.zeros(2, SR), SR),
        Waveform(torch.full((SR,), 1.5), SR),
        Waveform(torch.zeros(31 * SR), SR),
    ],
    ids=["nan", "sample-rate", "2d", "range", "too-long"],
)
def test_run_rejects_bad_waveforms(asr: WhisperASR, wave: Waveform) -> None:
    with pytest.raises(InvalidInversion):
        asr.run([wave])


def test_unknown_model_name_is_a_clear_error() -> None:
    with pytest.raises(InvbenchError, match="tiny.en"):
        WhisperASR("tiny.xx")
