"""The speech bridges: ``asr-bridge`` (tts family: Whisper's transcript of the target clip as the
prompt) and ``tts-bridge`` (asr family: the mini-TTS speaking the target sentence).

The TTS is quick-trained (the real classes, a few training steps: its speech is not words, which
these tests do not need); Whisper tiny.en is the real one. The shipped ``tts`` zoo model is never
loaded: ``tts-bridge`` is pointed at the quick model's folder through its config.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from invbench.contracts import (
    Budget,
    InvbenchError,
    InversionProblem,
    Target,
    Waveform,
    config_hash,
)
from invbench.contracts.text_input import Text
from invbench.families.asr import ASRFamily
from invbench.families.tts import TTSFamily
from invbench.inverters.asr_bridge import ASRBridge
from invbench.inverters.tts_bridge import TTSBridge
from invbench.metrics.text_error import word_error_rate
from invbench.models.whisper.asr import WhisperASR
from invbench.models.zoo.mini_tts import MiniTTS
from invbench.recipes.tts import train
from invbench.worlds.espeak import render

SENTENCES = ("The red circle is above the blue square.", "Please pass the salt.")


@pytest.fixture(scope="module")
def tts_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tts")
    train(out_dir=out, seed=7, name="tiny-tts", quick=True)
    return out


@pytest.fixture(scope="module")
def tts(tts_folder: Path) -> MiniTTS:
    return MiniTTS(str(tts_folder))


@pytest.fixture(scope="module")
def whisper() -> WhisperASR:
    return WhisperASR("tiny.en")


def problem(family: str, forward, targets: list[Target]) -> InversionProblem:
    return InversionProblem(
        task=f"{family}/toy", family=family, targets=targets, forward=forward,
        budget=Budget(max_steps=0), seed=0,
    )


def espeak_clip(text: str) -> Waveform:
    return Waveform(torch.from_numpy(render(text).samples), 16000)


# ------------------------------------------------------------------ asr-bridge


def test_asr_bridge_prompts_with_what_whisper_heard(tts: MiniTTS) -> None:
    targets = [Target(f"t{i}", {"audio": espeak_clip(s)}) for i, s in enumerate(SENTENCES)]
    bridge = ASRBridge()
    inversions = bridge.invert(problem("tts", tts, targets))
    assert len(inversions) == len(targets)
    for inv, sentence in zip(inversions, SENTENCES, strict=True):
        assert isinstance(inv.x, Text)
        assert word_error_rate(inv.x.text, sentence) <= 0.25, (inv.x.text, sentence)
        assert inv.token_ids == tts.tokenize([inv.x.text])[0]
        assert inv.soft_embeddings is None and inv.steps == 0
        assert inv.info == {"asr": bridge.asr.model.model_id}
        TTSFamily().validate(inv, tts)  # what the harness accepts
    assert "whisper" in inversions[0].info["asr"]


def test_asr_bridge_names_a_target_without_audio(tts: MiniTTS) -> None:
    targets = [Target("t0", {"audio": espeak_clip(SENTENCES[1])}),
               Target("t1", {"text": SENTENCES[1]})]
    with pytest.raises(InvbenchError, match=r"needs a Waveform under payload\['audio'\] of "
                                            r"target t1, got NoneType"):
        ASRBridge().invert(problem("tts", tts, targets))
    with pytest.raises(InvbenchError, match=r"payload\['audio'\] of target t0, got Tensor"):
        ASRBridge().invert(problem("tts", tts, [Target("t0", {"audio": torch.zeros(16000)})]))


def test_asr_bridge_needs_a_text_input_model(whisper: WhisperASR) -> None:
    targets = [Target("t0", {"audio": espeak_clip(SENTENCES[1])})]
    with pytest.raises(InvbenchError, match="asr-bridge inverts text-input models"):
        ASRBridge().invert(problem("tts", whisper, targets))


# ------------------------------------------------------------------ tts-bridge


def test_tts_bridge_speaks_the_target_sentence(
    tts_folder: Path, tts: MiniTTS, whisper: WhisperASR
) -> None:
    bridge = TTSBridge(tts=str(tts_folder))
    assert bridge.config == {"tts": str(tts_folder)}
    assert config_hash(bridge) != config_hash(TTSBridge())  # the folder is part of the key
    targets = [Target(f"t{i}", {"text": s}) for i, s in enumerate(SENTENCES)]
    inversions = bridge.invert(problem("asr", whisper, targets))
    assert len(inversions) == len(targets)
    for inv, sentence in zip(inversions, SENTENCES, strict=True):
        assert isinstance(inv.x, Waveform) and inv.x.sample_rate == 16000
        inv.x.validate(whisper.input_spec)  # 16 kHz, mono, within [-1, 1], at most 30 s
        ASRFamily().validate(inv, whisper)
        assert inv.info == {"tts": "mini-tts:tiny-tts", "prompt": sentence}
        assert torch.equal(inv.x.samples, tts.run([Text(sentence)])[0].samples)
    assert inversions[0].x.samples.shape != inversions[1].x.samples.shape


def test_tts_bridge_names_a_target_without_text(tts_folder: Path, whisper: WhisperASR) -> None:
    targets = [Target("t0", {"text": SENTENCES[1]}),
               Target("t1", {"audio": espeak_clip(SENTENCES[1])})]
    with pytest.raises(InvbenchError, match=r"needs a sentence under payload\['text'\] of "
                                            r"target t1, got NoneType"):
        TTSBridge(tts=str(tts_folder)).invert(problem("asr", whisper, targets))


def test_bridges_declare_their_families() -> None:
    assert ASRBridge.families == ("tts",) and ASRBridge().config == {"asr": "tiny.en"}
    assert TTSBridge.families == ("asr",) and TTSBridge().config == {"tts": "tts"}
    with pytest.raises(ValueError, match="extra"):
        TTSBridge(voice="en-us")  # unknown settings are refused, not ignored
