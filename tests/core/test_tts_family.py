"""The tts family adapter: prompt validation, re-synthesis fields, the ASR judge's transcripts,
artifacts. Uses quick-trained TTS weights (the real classes, a few training steps) and the real
Whisper tiny.en as the ``asr`` judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.inversion import Inversion
from invbench.contracts.media import Waveform
from invbench.contracts.text_input import Text
from invbench.families.adapter import family_adapter
from invbench.families.tts import TTSFamily
from invbench.models.whisper.asr import WhisperASR
from invbench.models.zoo.mini_tts import MiniTTS
from invbench.recipes.tts import train
from invbench.targets.target_set import TargetItem
from invbench.worlds.espeak import render

SENTENCES = ("The red circle is above the blue square.", "Please pass the salt.")


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> MiniTTS:
    out = tmp_path_factory.mktemp("tts")
    train(out_dir=out, seed=5, name="tiny-tts", quick=True)
    return MiniTTS(str(out))


@pytest.fixture(scope="module")
def whisper() -> WhisperASR:
    return WhisperASR("tiny.en")


@pytest.fixture(scope="module")
def items() -> list[TargetItem]:
    """Targets as a tts target set holds them: the clip visible, its sentence hidden."""
    return [
        TargetItem(f"t{i}", {"audio": Waveform(torch.from_numpy(render(s).samples), 16000)},
                   {"text": s})
        for i, s in enumerate(SENTENCES)
    ]


@pytest.mark.parametrize(
    ("inversion", "status", "message"),
    [
        (Inversion(x="a prompt"), "error", "tts inversions must hold a Text"),
        (Inversion(x=Waveform(torch.zeros(16000), 16000)), "error", "must hold a Text"),
        (Inversion(x=Text("")), "error", "empty"),
        (Inversion(x=Text("ok"), token_ids=[1, 30522]), "error", r"ints in \[0, 30522\)"),
        (Inversion(x=Text("ok"), token_ids=[-1]), "error", r"ints in \[0, 30522\)"),
        (Inversion(x=Text("ok"), token_ids=[2.0]), "error", "ints"),
        (Inversion(x=Text("ok"), soft_embeddings=torch.zeros(3, 10)), "error",
         r"shape \(3, 10\), expected \(L, 384\)"),
        (Inversion(x=Text("ok"), soft_embeddings=torch.zeros(65, 384)), "error", "1 to 64"),
        (Inversion(x=Text("ok"), soft_embeddings=torch.zeros(2, 3, 384)), "error",
         r"expected \(L, 384\)"),
        (Inversion(x=Text("ok"), soft_embeddings=torch.full((2, 384), float("inf"))), "nan",
         "NaN or infinite"),
    ],
)
def test_bad_prompts_are_refused_with_a_reason(model: MiniTTS, inversion, status, message):
    with pytest.raises(InvalidInversion, match=message) as info:
        TTSFamily().validate(inversion, model)
    assert info.value.status == status


def test_a_valid_prompt_passes(model: MiniTTS) -> None:
    TTSFamily().validate(
        Inversion(x=Text("ok"), soft_embeddings=torch.zeros(64, 384), token_ids=[0, 30521]),
        model)


def test_fields_resynthesise_and_the_judge_transcribes(
    model: MiniTTS, whisper: WhisperASR, items: list[TargetItem]
) -> None:
    [ids] = model.tokenize([SENTENCES[0]])
    inversions = [
        Inversion(x=Text(SENTENCES[0]), soft_embeddings=model.embed(ids)),
        Inversion(x=Text("red circle"), token_ids=[7, 8, 9]),  # no soft embeddings
    ]
    family = TTSFamily(judges={"asr": whisper})
    fields, outputs = family.scoring_fields(model, items, inversions)

    expected = model.run([Text(SENTENCES[0]), Text("red circle")])
    assert all(isinstance(a, Waveform) and a.sample_rate == 16000 for a in fields["audio"])
    assert all(torch.equal(a.samples, b.samples)
               for a, b in zip(fields["audio"], expected, strict=True))
    soft = fields["soft_audio"]
    assert torch.equal(soft[0].samples, expected[0].samples)  # table rows: the same path
    assert soft[1] is None
    assert [f is i.target["audio"] for f, i in zip(fields["reference_audio"], items,
                                                     strict=True)] == [True, True]
    assert fields["target_text"] == list(SENTENCES)
    assert fields["hypothesis"] == [SENTENCES[0], "red circle"]
    assert fields["token_ids"] == [ids, [7, 8, 9]]  # from the text when the inverter gave none
    assert fields["soft_embeddings"][1] is None
    assert torch.equal(fields["soft_embeddings"][0], model.embed(ids))
    assert fields["embedding_table"][0] is model.token_embeddings
    assert fields["embedding_table"][0].shape == (30522, 384)
    assert fields["prompt_token_mask"][1].shape == (30522,)
    assert len(fields["token_strings"][0]) == 30522

    # the judge transcribes the re-syntheses, one clip at a time
    heard = [whisper.run([a])[0] for a in fields["audio"]]
    assert fields["transcript"] == heard
    assert fields["soft_transcript"] == [heard[0], None]
    assert all(isinstance(t, str) for t in heard)
    assert outputs[0]["prompt"] == SENTENCES[0]
    assert outputs[0]["tokens"][:3] == ["the", "red", "circle"]
    assert outputs[0]["transcript"] == heard[0] and outputs[0]["soft_transcript"] == heard[0]
    assert outputs[1]["transcript"] == heard[1] and "soft_transcript" not in outputs[1]
    assert outputs[1]["tokens"] == [model.token_strings[i] for i in (7, 8, 9)]
    sources = family.field_sources()
    assert sources == {"transcript": f"{whisper.model_id}@{whisper.weights_sha256[:12]}"}


def test_without_a_judge_there_are_no_transcripts(model: MiniTTS, items) -> None:
    fields, outputs = TTSFamily().scoring_fields(model, items[:1], [Inversion(x=Text("hello"))])
    assert "transcript" not in fields and "soft_transcript" not in fields
    assert fields["soft_audio"] == [None] and "transcript" not in outputs[0]
    assert TTSFamily().field_sources() == {}


def test_the_family_needs_a_text_input_model(whisper: WhisperASR, items) -> None:
    with pytest.raises(InvbenchError, match="tts family needs a text-input forward model"):
        TTSFamily().scoring_fields(whisper, items[:1], [Inversion(x=Text("hello"))])


def test_the_registry_gives_the_tts_adapter(whisper: WhisperASR) -> None:
    adapter = family_adapter("tts", {"asr": whisper})
    assert isinstance(adapter, TTSFamily) and adapter.judges == {"asr": whisper}
    assert adapter.output_field == "audio" and adapter.judge_fields == {"asr": "transcript"}


def test_artifacts_are_the_prompt_and_the_soft_embeddings(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    soft = torch.randn(3, 384)
    with_soft = Inversion(x=Text("red circle"), soft_embeddings=soft, token_ids=[7, 8, 9])
    paths = TTSFamily().save_artifacts(with_soft, tmp_path, "t1-s0")
    assert set(paths) == {"prompt", "soft_embeddings"}
    assert json.loads(Path(paths["prompt"]).read_text()) == {"text": "red circle",
                                                            "token_ids": [7, 8, 9]}
    assert Path(paths["soft_embeddings"]).name == "t1-s0.soft.safetensors"
    assert torch.equal(load_file(paths["soft_embeddings"])["soft_embeddings"], soft)

    paths = TTSFamily().save_artifacts(Inversion(x=Text("hello")), tmp_path, "t0-s0")
    assert set(paths) == {"prompt"}
    assert json.loads(Path(paths["prompt"]).read_text()) == {"text": "hello", "token_ids": None}
