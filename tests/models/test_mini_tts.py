"""The mini-TTS as a text-input forward model, and its network's pieces (quick-trained weights:
the same classes and code paths as the shipped model, a few training steps only).

The quick model is trained in a fresh Python process: espeak-ng keeps state between utterances,
so the recipe's corpus (and so its weights) is bit-identical per fresh process, not when a process
trains twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.inversion import Target
from invbench.contracts.media import Waveform
from invbench.contracts.text_input import Text
from invbench.fs.atomic import sha256_file
from invbench.models.zoo.mini_tts import MIN_FRAMES, MiniTTS
from invbench.models.zoo.tts_net import (
    HOP,
    MAX_TOKEN_FRAMES,
    POSITION_FREQUENCIES,
    expand_frames,
    griffin_lim,
    log_magnitude,
    magnitude,
    rounded_durations,
)
from invbench.models.zoo.weights import WEIGHTS_FILE
from invbench.worlds.espeak import render

SENTENCE = "The red circle is above the blue square."
OTHER = "Please pass the salt."
TRAIN = (
    "import sys; from invbench.recipes.tts import train; "
    "train(out_dir=sys.argv[1], seed=3, name='tiny-tts', quick=True)"
)


def train_in_fresh_process(out: Path) -> dict:
    """``train(out_dir=out, seed=3, name="tiny-tts", quick=True)``; its manifest."""
    done = subprocess.run([sys.executable, "-c", TRAIN, str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tts")
    train_in_fresh_process(out)
    return out


@pytest.fixture(scope="module")
def model(folder: Path) -> MiniTTS:
    return MiniTTS(str(folder))


@pytest.fixture(scope="module")
def clip() -> Waveform:
    """espeak-ng speaking ``SENTENCE`` (what a tts target sounds like)."""
    return Waveform(torch.from_numpy(render(SENTENCE).samples), 16000)


def test_quick_training_is_reproducible_and_loadable(folder: Path, tmp_path: Path) -> None:
    again = train_in_fresh_process(tmp_path)
    assert again["files"][WEIGHTS_FILE] == sha256_file(folder / WEIGHTS_FILE)
    assert again["architecture"] == "mini-tts-v1"
    assert set(again["quality"]) >= {"whisper_wer", "espeak_whisper_wer", "examples"}
    assert again["training"]["corpus_sentences"] == 8 and again["training"]["steps"] == 3
    loaded = MiniTTS(str(tmp_path))
    assert loaded.model_id == "mini-tts:tiny-tts"
    assert loaded.weights_sha256 == again["files"][WEIGHTS_FILE]


def test_run_gives_16khz_waveforms_and_hard_text_is_its_table_rows(model: MiniTTS) -> None:
    [ids] = model.tokenize([SENTENCE])
    assert model.detokenize(ids) == SENTENCE.lower()
    [hard] = model.run([Text(SENTENCE)])
    [soft] = model.run_from_embeddings([model.embed(ids)])
    assert isinstance(hard, Waveform) and hard.sample_rate == 16000
    x = hard.samples
    assert x.ndim == 1 and x.dtype == torch.float32 and x.numel() >= (MIN_FRAMES - 1) * HOP
    assert x.numel() % HOP == 0  # (frames - 1) hops: Griffin-Lim's length
    assert torch.isfinite(x).all() and x.abs().max() <= 1.0 and x.abs().max() > 0
    assert torch.equal(hard.samples, soft.samples)


def test_clips_do_not_depend_on_batch_mates(model: MiniTTS) -> None:
    prompts = [Text(SENTENCE), Text(OTHER), Text("A large cyan hexagon.")]
    together = model.run(prompts)
    alone = [model.run([p])[0] for p in reversed(prompts)][::-1]
    assert all(torch.equal(a.samples, b.samples) for a, b in zip(together, alone, strict=True))
    assert together[0].samples.shape != together[1].samples.shape  # not one clip for all


def test_synthesis_is_deterministic_across_calls_and_loads(folder: Path, model: MiniTTS) -> None:
    first = model.run([Text(OTHER)])[0].samples
    assert torch.equal(first, model.run([Text(OTHER)])[0].samples)
    assert torch.equal(first, MiniTTS(str(folder)).run([Text(OTHER)])[0].samples)


def test_objective_is_differentiable_in_the_embeddings(model: MiniTTS, clip: Waveform) -> None:
    [ids] = model.tokenize([SENTENCE])
    x = model.embed(ids)[None].clone().requires_grad_(True)
    backward = model.calls.backward
    result = model.objective(x, [clip])
    assert result.loss.shape == (1,) and result.success.shape == (1,)
    assert result.success.dtype == torch.bool
    assert torch.isfinite(result.loss).all() and result.loss.item() > 0
    result.loss.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert model.calls.backward == backward + 1
    assert all(p.grad is None for p in model.net.parameters())


def test_objective_gives_one_loss_per_item_whatever_the_target_form(
    model: MiniTTS, clip: Waveform
) -> None:
    other = Waveform(torch.from_numpy(render(OTHER).samples), 16000)
    x = torch.randn(2, 5, 384, generator=torch.Generator().manual_seed(0)) * 0.05
    with torch.no_grad():
        both = model.objective(x, [clip, {"audio": other}]).loss
        alone = [model.objective(x[:1], [Target("t0", {"audio": clip})]).loss,
                 model.objective(x[1:], [other]).loss]
    assert both.shape == (2,)
    assert torch.allclose(both, torch.cat(alone), rtol=1e-5, atol=1e-6)
    assert both[0] != both[1]


def test_objective_prefers_a_prompt_s_own_speech(model: MiniTTS) -> None:
    """A clip is closest (in the objective) to the prompt that spoke it."""
    clips = model.run([Text(SENTENCE), Text(OTHER)])
    xs = [model.embed(ids)[None] for ids in model.tokenize([SENTENCE, OTHER])]
    with torch.no_grad():
        loss = [[model.objective(x, [c]).loss.item() for c in clips] for x in xs]
    assert loss[0][0] < loss[1][0] and loss[1][1] < loss[0][1], loss


def test_a_few_adam_steps_lower_the_loss(model: MiniTTS, clip: Waveform) -> None:
    other = Waveform(torch.from_numpy(render(OTHER).samples), 16000)
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(1000, 20000, (2, 6), generator=generator)
    x = model.token_embeddings[ids].clone().requires_grad_(True)
    optimiser = torch.optim.Adam([x], lr=0.05)
    trace = []
    for _ in range(6):
        loss = model.objective(x, [clip, other]).loss
        trace.append(loss.detach())
        optimiser.zero_grad()
        loss.sum().backward()
        optimiser.step()
    trace.append(model.objective(x.detach(), [clip, other]).loss)
    assert (trace[-1] < trace[0] - 0.01).all(), trace


def test_a_prompt_whose_tokens_get_no_frames_is_silence(model: MiniTTS, clip: Waveform) -> None:
    """Soft prompts can push every duration to 0: synthesis pads with silence, and the objective
    scores that silence instead of failing."""
    probe = torch.zeros(1, 3, 384, requires_grad=True)
    mask = torch.ones(1, 3, dtype=torch.bool)
    model.net.encode(probe, mask)[1].sum().backward()
    silent = None
    for scale in (1.0, 10.0, 100.0):
        x = -probe.grad * scale
        with torch.no_grad():
            if rounded_durations(model.net.encode(x, mask)[1], mask).sum() == 0:
                silent = x
                break
    assert silent is not None, "no prompt with zero frames found"
    [wave] = model.run_from_embeddings([silent[0]])
    assert wave.samples.numel() == (MIN_FRAMES - 1) * HOP and wave.samples.abs().max() < 1e-3
    x = silent.clone().requires_grad_(True)
    result = model.objective(x, [clip])
    assert torch.isfinite(result.loss).all() and result.loss.item() > 1.0
    result.loss.sum().backward()  # no gradient through durations, but no failure either
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize(
    ("x", "targets", "options", "message"),
    [
        (torch.zeros(5, 384), 1, {}, r"expects \(B, L, 384\) soft prompts, got \(5, 384\)"),
        (torch.zeros(1, 3, 10), 1, {}, r"got \(1, 3, 10\)"),
        ("a prompt", 1, {}, "got str"),
        (torch.zeros(2, 3, 384), 1, {}, "got 2 prompts for 1 targets"),
        (torch.zeros(1, 65, 384), 1, {}, "1 to 64 tokens per prompt, got 65"),
        (torch.zeros(1, 0, 384), 1, {}, "1 to 64 tokens per prompt, got 0"),
        (torch.zeros(1, 3, 384), "22k", {}, "must be a 16000 Hz Waveform, got 22050 Hz"),
        (torch.zeros(1, 3, 384), "text", {}, "must be a 16000 Hz Waveform, got str"),
        (torch.zeros(1, 3, 384), "image", {}, "must be a 16000 Hz Waveform, got NoneType"),
        (torch.zeros(1, 3, 384), 1, {"encoder_frames": "fit"}, r"no options, got \['encoder_"),
    ],
)
def test_objective_errors_are_named(model: MiniTTS, clip: Waveform, x, targets, options, message):
    targets = {
        1: [clip],
        "22k": [Waveform(clip.samples, 22050)],
        "text": [SENTENCE],
        "image": [{"image": clip}],
    }[targets]
    with pytest.raises(InvbenchError, match=message):
        model.objective(x, targets, **options)


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        (Text(""), "empty"),
        (Text("   "), "empty"),
        (Text(" ".join(["red"] * 80)), "80 tokens, expected 1 to 64"),
        (Text(5), "must be a str"),
        (SENTENCE, "needs a Text prompt, got str"),
    ],
)
def test_bad_prompts_are_invalid_inversions(model: MiniTTS, prompt, message) -> None:
    with pytest.raises(InvalidInversion, match=message):
        model.run([prompt])


def test_bad_soft_prompts_are_invalid_inversions(model: MiniTTS) -> None:
    with pytest.raises(InvalidInversion, match=r"expected \(L, 384\)"):
        model.run_from_embeddings([torch.zeros(3, 10)])
    with pytest.raises(InvalidInversion, match="65 tokens"):
        model.run_from_embeddings([torch.zeros(65, 384)])
    with pytest.raises(InvalidInversion, match="NaN") as info:
        model.run_from_embeddings([torch.full((3, 384), float("nan"))])
    assert info.value.status == "nan"


def test_describe_records_the_vocoder_and_the_objective(model: MiniTTS) -> None:
    info = model.describe()
    assert info["model_id"] == "mini-tts:tiny-tts"
    assert info["weights_sha256"] == model.weights_sha256
    assert info["vocoder"] == "Griffin-Lim, 32 iterations, fixed phase seed 0"
    assert info["spectrogram"] == {"sample_rate": 16000, "n_fft": 1024, "hop": 256}
    assert "log-mel" in info["objective"]["loss"] and "per item" in info["objective"]["loss"]
    assert info["objective"]["success"] == "loss <= 0.1"
    assert "rounded" in info["objective"]["gradient"]
    assert info["text_table"]["name"] == "all-MiniLM-L6-v2"
    assert len(info["text_table"]["weights_sha256"]) == 64
    json.dumps(info)  # a run manifest can record it


# ------------------------------------------------------------------ network pieces


@pytest.mark.parametrize(
    ("durations", "max_frames", "frames", "index"),
    [
        ([[2, 1, 3]], 100, [[1, 1, 1, 1, 1, 1]], [[0, 0, 1, 2, 2, 2]]),
        ([[2, 0, 3]], 100, [[1, 1, 1, 1, 1]], [[0, 0, 2, 2, 2]]),  # 0 frames: skipped
        ([[0, 0, 2]], 100, [[1, 1]], [[2, 2]]),
        ([[2, 1], [1, 0]], 100, [[1, 1, 1], [1, 0, 0]], [[0, 0, 1], [0, 1, 1]]),
        ([[5, 5]], 4, [[1, 1, 1, 1]], [[0, 0, 0, 0]]),  # cut at max_frames
        ([[0, 0]], 100, [[0]], [[1]]),  # no frames at all: one padding frame
    ],
)
def test_expand_frames_maps_each_frame_to_its_token(durations, max_frames, frames, index):
    real, owner, features = expand_frames(torch.tensor(durations), max_frames)
    assert real.tolist() == [[bool(f) for f in row] for row in frames]
    assert owner.tolist() == index
    assert features.shape == (*owner.shape, 2 * POSITION_FREQUENCIES + 2)


def test_expand_frames_places_each_frame_inside_its_token() -> None:
    _, _, features = expand_frames(torch.tensor([[2, 0, 3]]), 100)
    place, log_length = features[0, :, 2 * POSITION_FREQUENCIES], features[0, :, -1]
    expected = torch.tensor([0.25, 0.75, 1 / 6, 0.5, 5 / 6])
    assert torch.allclose(place, expected) and ((place > 0) & (place < 1)).all()
    assert torch.allclose(log_length, torch.log1p(torch.tensor([2.0, 2, 3, 3, 3])) / 4)
    angles = expected[:, None] * torch.arange(1, POSITION_FREQUENCIES + 1) * torch.pi
    assert torch.allclose(features[0, :, :POSITION_FREQUENCIES], angles.sin(), atol=1e-6)
    assert torch.allclose(features[0, :, POSITION_FREQUENCIES:2 * POSITION_FREQUENCIES],
                          angles.cos(), atol=1e-6)


@pytest.mark.parametrize(
    ("frames", "mask", "expected"),
    [
        ([0.4, 2.6, 7.0], [1, 1, 1], [0, 3, 7]),
        ([-0.9, 0.0, 1.2], [1, 1, 1], [0, 0, 1]),  # negative predictions are 0 frames
        ([100.0, 60.0, 61.0], [1, 1, 1], [MAX_TOKEN_FRAMES] * 3),  # clamped
        ([5.0, 5.0, 5.0], [1, 1, 0], [5, 5, 0]),  # padding tokens get no frames
    ],
)
def test_rounded_durations(frames, mask, expected) -> None:
    log_duration = torch.log1p(torch.tensor([frames]))
    out = rounded_durations(log_duration, torch.tensor([mask], dtype=torch.bool))
    assert out.dtype == torch.long and out.tolist() == [expected]


def test_griffin_lim_rebuilds_a_real_clip(clip: Waveform) -> None:
    log_mag = log_magnitude(clip.samples)
    wave = griffin_lim(log_mag)
    assert wave.shape == ((log_mag.shape[0] - 1) * HOP,)
    target = log_mag.exp()
    rebuilt = magnitude(wave)
    assert rebuilt.shape == target.shape

    def convergence(m: torch.Tensor) -> float:
        return float(torch.linalg.norm(m - target) / torch.linalg.norm(target))

    # measured 0.06 (espeak-ng 1.51, torch 2.13); a random phase without iterations: 0.65
    assert convergence(rebuilt) < 0.1
    phase = torch.rand(target.T.shape, generator=torch.Generator().manual_seed(0)) * 2 * torch.pi
    window = torch.hann_window(1024)
    no_iterations = torch.istft(torch.polar(target.T, phase), 1024, HOP, window=window,
                                length=wave.shape[0])
    assert convergence(magnitude(no_iterations)) > 0.3
    assert torch.equal(wave, griffin_lim(log_mag))  # fixed phase: deterministic
    assert not torch.equal(wave, griffin_lim(log_mag, seed=1))
