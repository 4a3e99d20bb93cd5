"""Chatterbox-TTS for real: the adapter on a random Chatterbox built from Chatterbox's own classes
(:mod:`chatterbox_tiny`), loaded by the adapter's own loader, with Chatterbox 0.1.7 and torch 2.6
installed. What the main suite cannot run (``tests/paper/test_chatterbox_tts.py``) runs here:
loading, the vocabulary of a real ``tokenizer.json`` and ``t3.text_emb``, the teacher-forced
objective against T3's own sampling-time logits, the soft-prompt swap inside a real ``generate``,
the watermark, the 24 kHz → 16 kHz resampling, and ``soft-prompt`` lowering the objective."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import torch.nn.functional as F
from chatterbox_tiny import REFERENCE_CLIP, TINY_LAYERS, capped_sampling, tiny_t3

from invbench.contracts import Budget, InvbenchError, InversionProblem, Target, Waveform
from invbench.contracts.text_input import Text
from invbench.inverters.soft_prompt import SoftPrompt
from invbench.models.paper.chatterbox import PERTH, ChatterboxTTSModel, resample_to_16k
from invbench.models.paper.chatterbox_parts import speech_teacher_forcing
from invbench.models.weights_identity import folder_weights_sha256

TEXT = "Hello world."
# float32 throughout; the only difference between the two logit paths is T3's key-value cache
# (one position at a time) against one pass over the whole sequence: summation order only
LOGIT_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def model(chatterbox_folder: Path) -> ChatterboxTTSModel:
    with tiny_t3():
        return ChatterboxTTSModel(model=str(chatterbox_folder))


@pytest.fixture(scope="module")
def target_clip() -> Waveform:
    """One second of a real espeak-ng rendering at 16 kHz (about 25 speech tokens)."""
    samples, rate = sf.read(REFERENCE_CLIP, dtype="float32")
    return Waveform(torch.from_numpy(samples[:rate]), rate)


def test_the_folder_loads_through_from_local_with_its_vocabulary(model, chatterbox_folder):
    from chatterbox.tts import ChatterboxTTS

    assert type(model.tts) is ChatterboxTTS and len(model.tts.t3.tfmr.layers) == TINY_LAYERS
    info = model.describe()
    assert info["chatterbox_version"] == importlib.metadata.version("chatterbox-tts") == "0.1.7"
    assert info["native_sample_rate"] == 24000 and info["sample_rate"] == 16000
    assert model.weights_sha256 == folder_weights_sha256(chatterbox_folder)
    spec = model.input_spec  # T3Config's 704-row text table at T3's width, 2048 text tokens
    assert (spec.vocab_size, spec.embedding_dim, spec.max_tokens) == (704, 1024, 2048)
    strings, mask = model.token_strings, model.prompt_token_mask
    assert strings[255] == "[START]" and strings[0] == "[STOP]" and strings[2] == "[SPACE]"
    assert not mask[255] and not mask[0] and not mask[1] and mask[2]  # [SPACE] is a separator
    assert all(mask[i] for i in model.tokenize(["hello"])[0]) and strings[42] == "H"
    assert model.detokenize(model.tokenize([TEXT])[0]) == TEXT


def test_a_folder_without_the_builtin_voice_is_refused_in_one_line(chatterbox_folder, tmp_path):
    folder = tmp_path / "no-voice"
    folder.mkdir()
    for path in chatterbox_folder.iterdir():
        if path.name != "conds.pt":
            (folder / path.name).symlink_to(path)
    with tiny_t3(), pytest.raises(InvbenchError, match="has no conds.pt") as err:
        ChatterboxTTSModel(model=str(folder))
    assert "\n" not in str(err.value)


def t3_sampling_logits(model: ChatterboxTTSModel, ids: list[int], tokens: torch.Tensor,
                       monkeypatch: pytest.MonkeyPatch) -> torch.Tensor:
    """The conditional row's logits at every step of T3's own ``inference`` (CFG on, as
    ``generate`` calls it) when the sampler emits ``tokens`` and then the stop token."""
    t3, hp = model.tts.t3, model.hp
    emitted = iter([*tokens.tolist(), hp.stop_speech_token])
    monkeypatch.setattr(torch, "multinomial", lambda probs, num_samples: torch.tensor(
        [[next(emitted)]], device=probs.device))
    seen: list[torch.Tensor] = []
    hook = t3.speech_head.register_forward_hook(lambda m, i, out: seen.append(out[0, -1]))
    text = torch.tensor([[hp.start_text_token, *ids, hp.stop_text_token]] * 2)
    cond = model.tts.conds.t3
    try:
        t3.inference(t3_cond=type(cond)(speaker_emb=cond.speaker_emb,
                                        cond_prompt_speech_tokens=cond.cond_prompt_speech_tokens,
                                        emotion_adv=0.5 * torch.ones(1, 1, 1)),
                     text_tokens=text, max_new_tokens=len(tokens) + 1, cfg_weight=0.5)
    finally:
        hook.remove()
    return torch.stack(seen).float()


def test_the_objective_is_t3s_own_logits_on_the_same_rows(model, target_clip, monkeypatch):
    ids = model.tokenize([TEXT])[0]
    soft = model.token_embeddings[ids].clone()
    tokens = model._target_speech_tokens(target_clip)
    assert 15 <= len(tokens) <= 30  # one second at 25 tokens per second
    speech, positions, labels = speech_teacher_forcing(tokens, model.hp.start_speech_token,
                                                       model.hp.stop_speech_token)
    with torch.no_grad():
        ours = model._t3_speech_logits(model._conditioning(), soft, speech, positions)
    theirs = t3_sampling_logits(model, ids, tokens, monkeypatch)
    assert theirs.shape == ours[1:].shape == (len(tokens) + 1, 8194)
    torch.testing.assert_close(ours[1:], theirs, atol=LOGIT_TOLERANCE, rtol=0)
    result = model.objective(soft[None].requires_grad_(True), [{"audio": target_clip}])
    expected = F.cross_entropy(theirs, labels[1:])
    torch.testing.assert_close(result.loss[0].detach(), expected, atol=LOGIT_TOLERANCE, rtol=0)
    # success: T3's greedy choice is the target token at every step, stop included
    assert bool(result.success[0]) == bool((theirs.argmax(-1) == labels[1:]).all())


def test_the_objective_gradient_reaches_the_soft_rows_only(model, target_clip):
    soft = model.token_embeddings[model.tokenize([TEXT])[0]].clone().requires_grad_(True)
    model.objective(soft[None], [{"audio": target_clip}]).loss.sum().backward()
    assert soft.grad is not None and torch.isfinite(soft.grad).all() and soft.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.tts.t3.parameters())


def test_soft_rows_equal_to_a_texts_rows_reproduce_its_clip(model):
    rows = model.token_embeddings[model.tokenize([TEXT])[0]]
    with capped_sampling():
        [hard] = model.run([Text(TEXT)])
        [again] = model.run([Text(TEXT)])
        [soft] = model.run_from_embeddings([rows])
    assert hard.samples.numel() > 0 and torch.equal(hard.samples, again.samples)  # the seed
    assert torch.equal(soft.samples, hard.samples)
    assert model.tts.t3.text_emb.weight.shape == (704, 1024)  # the real table is back


def test_run_is_the_watermarked_generate_resampled_to_16k(model, monkeypatch):
    native, marked = [], []
    generate, apply = model.tts.generate, model.tts.watermarker.apply_watermark

    def spy_generate(*args, **kwargs):
        native.append(generate(*args, **kwargs))
        return native[-1]

    def spy_watermark(wav, sample_rate):
        marked.append(sample_rate)
        return apply(wav, sample_rate=sample_rate)

    monkeypatch.setattr(model.tts, "generate", spy_generate)
    monkeypatch.setattr(model.tts.watermarker, "apply_watermark", spy_watermark)
    before = model.watermarked_clips
    with capped_sampling():
        [clip] = model.run([Text(TEXT)])
    assert marked == [24000] and model.watermarked_clips == before + 1
    assert model.describe()["watermark"] == PERTH
    [wav] = native
    assert wav.shape[0] == 1 and clip.sample_rate == 16000
    expected = resample_to_16k(Waveform(wav.reshape(-1).float(), 24000)).clamp(-1.0, 1.0)
    assert torch.equal(clip.samples, expected)
    assert abs(len(clip.samples) - round(wav.shape[-1] * 2 / 3)) <= 1
    assert float(np.abs(clip.samples.numpy()).max()) <= 1.0


def test_soft_prompt_lowers_the_objective(model, target_clip):
    problem = InversionProblem(task="tts/tiny-chatterbox", family="tts",
                               targets=[Target("t0", {"audio": target_clip})], forward=model,
                               budget=Budget(max_steps=6), seed=0)
    [inv] = SoftPrompt(steps=6, length=4).invert(problem)
    assert len(inv.loss_trace) == 6 and inv.loss_trace[-1] < inv.loss_trace[0]
    assert all(b < a for a, b in zip(inv.loss_trace, inv.loss_trace[1:], strict=False))
    assert inv.soft_embeddings.shape == (4, 1024)
    assert all(bool(model.prompt_token_mask[i]) for i in inv.token_ids)


def test_the_reference_folder_is_left_as_built(chatterbox_folder):
    # nothing above wrote into the checkpoint folder (the adapter reads it only)
    assert sorted(p.name for p in chatterbox_folder.iterdir()) == sorted(
        ["ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json",
         "conds.pt"])
