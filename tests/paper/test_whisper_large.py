"""Whisper large-v3's shape through the same ``WhisperASR`` adapter as tiny.en, offline.

large-v3 differs from tiny.en in exactly the things the adapter must not hard-code: 128 mel bins
(not 80) and a 51,866-token vocabulary, from which whisper derives the multilingual tokenizer with
100 languages (Cantonese added), so the prompt must force English. A tiny randomly initialised
``whisper.model.Whisper`` with large-v3's ``n_mels``, audio context and vocabulary is saved as a
checkpoint file and loaded through ``WhisperASR(name=path)``, i.e. ``whisper.load_model`` with
``weights_only=True``, the path the real checkpoint takes; only the widths and depths differ.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
import torch
import whisper
from whisper.model import ModelDimensions, Whisper

from invbench.assets.kinds import WhisperCheckpoint
from invbench.contracts import Budget, InvbenchError, InversionProblem, Target, Waveform
from invbench.inverters.waveform_adam import WaveformAdam
from invbench.models.whisper.asr import N_FRAMES, WhisperASR, fit_frames

SR = 16000
DIMS = ModelDimensions(
    n_mels=128, n_audio_ctx=1500, n_audio_state=64, n_audio_head=2, n_audio_layer=1,
    n_vocab=51866, n_text_ctx=448, n_text_state=64, n_text_head=2, n_text_layer=1,
)
TEXTS = ("hello world", "the quick brown fox jumps")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = Whisper(DIMS)
    with torch.no_grad():  # openai-whisper leaves this one uninitialised (torch.empty):
        model.decoder.positional_embedding.normal_(0.0, 0.02)  # garbage, even NaN, else
    state = model.state_dict()
    path = tmp_path_factory.mktemp("whisper") / "tiny-large-v3.pt"
    torch.save({"dims": asdict(DIMS), "model_state_dict": state}, path)
    return path


@pytest.fixture(scope="module")
def asr(checkpoint: Path) -> WhisperASR:
    return WhisperASR(name=str(checkpoint))


def clip(seconds: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 0.1 * torch.randn(int(seconds * SR), generator=g)


def test_loads_the_checkpoint_with_128_mel_bins(asr: WhisperASR, checkpoint: Path):
    assert asr.n_mels == 128 and asr.dims == DIMS
    assert asr.model_id == "whisper:tiny-large-v3" and asr.checkpoint == checkpoint
    x = clip(2.0, 0)
    mel = asr.window_mel(x[None])
    assert mel.shape == (1, 128, N_FRAMES)
    stock = whisper.log_mel_spectrogram(whisper.pad_or_trim(x), n_mels=128)
    torch.testing.assert_close(mel[0], stock, atol=1e-4, rtol=0)
    info = asr.describe()
    assert info["dims"]["n_mels"] == 128
    assert info["placement"] == {"device": "cpu", "dtype": "float32", "cpu_offload": False}
    assert info["objective"]["precision"] == "float32"


def test_multilingual_tokenizer_forces_english_transcription(asr: WhisperASR):
    tok = asr.tokenizer
    assert asr.model.is_multilingual and asr.model.num_languages == 100
    assert tok.num_languages == 100 and len(tok.all_language_codes) == 100
    assert "yue" in tok.all_language_codes  # large-v3's 100th language
    assert asr.prompt == [tok.sot, tok.to_language_token("en"), tok.transcribe, tok.no_timestamps]


def test_run_gives_one_transcript_per_waveform_independent_of_the_batch(asr: WhisperASR):
    waves = [Waveform(clip(1.0, 1), SR), Waveform(clip(1.5, 2), SR)]
    together = asr.run(waves)
    assert len(together) == 2 and all(isinstance(t, str) for t in together)
    assert together == [asr.run([w])[0] for w in waves]


def test_objective_per_item_losses_success_and_gradient(asr: WhisperASR):
    x = torch.stack([clip(1.0, 3), clip(1.0, 4)]).requires_grad_(True)
    result = asr.objective(x, [{"text": t} for t in TEXTS])
    assert result.loss.shape == (2,) and torch.isfinite(result.loss).all()
    assert result.success.dtype == torch.bool and result.success.shape == (2,)
    for i, text in enumerate(TEXTS):
        alone = asr.objective(x[i : i + 1].detach(), [{"text": text}]).loss[0]
        torch.testing.assert_close(result.loss[i].detach(), alone, atol=1e-5, rtol=1e-5)
    result.loss.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert (x.grad.abs().sum(dim=1) > 0).all()


def test_fitted_encoder_works_with_128_mels(asr: WhisperASR):
    x = clip(2.0, 5)[None].requires_grad_(True)
    result = asr.objective(x, [{"text": TEXTS[0]}], encoder_frames="fit")
    assert result.extras["mel_frames"] == fit_frames(x.shape[1]) < N_FRAMES
    assert torch.isfinite(result.loss).all()
    result.loss.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_waveform_adam_lowers_the_loss_and_spends_counted_steps(asr: WhisperASR):
    steps = 4
    inverter = WaveformAdam(steps=steps, lr=1e-2, min_seconds=1.0, max_seconds=1.0)
    problem = InversionProblem(
        task="asr/tiny-large-v3", family="asr", targets=[Target("a", {"text": TEXTS[0]})],
        forward=asr, budget=Budget(max_steps=steps), seed=0,
    )
    start = (torch.randn(SR, generator=problem.generator(0)) * 1e-3).clamp(-1.0, 1.0)
    before = asr.calls.snapshot()
    [inv] = inverter.invert(problem)
    assert isinstance(inv.x, Waveform) and inv.x.sample_rate == SR
    assert inv.x.samples.shape == start.shape and not torch.equal(inv.x.samples, start)
    assert inv.steps == steps == len(inv.loss_trace)
    assert inv.loss_trace[0] > inv.loss_trace[-1]
    forward, backward = asr.calls.snapshot()
    assert (forward - before[0], backward - before[1]) == (steps, steps)


def test_bfloat16_autocasts_the_objective_but_never_the_score(checkpoint: Path, asr: WhisperASR):
    bf16 = WhisperASR(name=str(checkpoint), dtype="bfloat16")
    assert all(p.dtype == torch.float32 for p in bf16.model.parameters())
    x = clip(1.0, 6)[None]
    low = bf16.objective(x, [{"text": TEXTS[0]}])
    full = asr.objective(x, [{"text": TEXTS[0]}])
    assert low.extras["autocast"] == "bfloat16" and full.extras["autocast"] is None
    torch.testing.assert_close(low.loss, full.loss, rtol=5e-2, atol=0)
    assert bf16.run([Waveform(x[0], SR)]) == asr.run([Waveform(x[0], SR)])
    assert bf16.describe()["placement"]["dtype"] == "bfloat16"
    for bad, match in (({"dtype": "float16"}, "float16"), ({"offload": True}, "offload")):
        with pytest.raises(InvbenchError, match=match) as err:
            WhisperASR(name=str(checkpoint), **bad)
        assert "\n" not in str(err.value)


def test_offline_missing_large_v3_is_a_one_line_error(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def no_network(*args, **kwargs):
        raise AssertionError("WhisperASR tried to download")

    monkeypatch.setattr(whisper, "_download", no_network)
    monkeypatch.setattr("urllib.request.urlopen", no_network)
    expected = tmp_path / "whisper" / "large-v3.pt"
    with pytest.raises(InvbenchError) as err:
        WhisperASR("large-v3")
    message = str(err.value)
    assert "\n" not in message and str(expected) in message
    assert "invbench prefetch --suite paper" in message

    assert WhisperASR.assets() == []
    [asset] = WhisperASR.assets(name="large-v3")
    assert isinstance(asset, WhisperCheckpoint) and asset.key == "whisper:large-v3"
    status = asset.check()
    assert not status.present and str(expected) in status.detail
