"""Chatterbox-TTS as the ``tts`` forward model: what the main environment can check.

The main environment cannot hold Chatterbox: chatterbox-tts 0.1.7 requires torch==2.6.0 and
torchaudio==2.6.0 (importing ``chatterbox`` imports torchaudio), while everything else here is
tested with torch 2.13.0+cpu, for which no torchaudio exists. So this file asserts that the test
install has no ``chatterbox`` and covers what needs no backend: the one-line errors and install
hint, option checks, assets, and the Chatterbox-free plumbing on real tensors.

The backend itself is tested in the **paper lane** (``make test-paper-lane``, run by ``.ci/run``;
docs/paper-lane.md), an environment of its own with chatterbox-tts 0.1.7 and its pins, on a
random-weight Chatterbox built from its own classes and loaded by the adapter's own loader:

- ``lanes/paper/tests/test_chatterbox_real.py``: ``from_local`` on a checkpoint folder, the
  ``conds.pt`` check, ``weights_sha256``, ``describe()``; the vocabulary from a real
  ``tokenizer.json`` and ``t3.text_emb``; the objective's plumbing (the S3 tokenizer,
  ``prepare_conditioning``, the Llama backbone and ``speech_head``) against T3's own sampling-time
  logits, the loss and its gradient; ``run`` through the real ``generate`` under the seed, the
  Perth watermark applied once per clip, the 24 kHz → 16 kHz resampling; the swap of
  ``t3.text_emb`` and the tokenizer inside a real ``generate`` (soft rows equal to a text's rows
  give that text's clip); ``soft-prompt`` lowering the objective;
- ``lanes/paper/tests/test_tts_paper_task.py``: ``_checkpoint_folder`` finding the model in the
  Hugging Face cache offline, ``invbench prepare`` rendering ``tts/paper``'s clips and
  ``invbench evaluate`` inverting and scoring them.

Not covered anywhere, because it cannot be run here: the released weights (no download), hence
any real clip, transcript or score; a download from the hub; the GPU path (bfloat16 autocast in
the objective, the RNG fork on a CUDA device).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from invbench.assets.kinds import HubRepo, PythonPackage
from invbench.contracts import InvbenchError, Target, Waveform
from invbench.contracts.text_input import TextInputModel, TextSpec
from invbench.models.paper.chatterbox import (
    CHECKPOINT_FILES,
    INSTALL,
    ChatterboxTTSModel,
    PlaceholderTokenizer,
    SoftTextEmbedding,
    frame_soft_rows,
    import_chatterbox,
    resample_to_16k,
    speech_teacher_forcing,
    target_waveform,
    vocabulary,
)

INSTALL_COMMAND = "pip install --no-deps -r lanes/paper/lock.txt"
SOT, EOT, PLACEHOLDER = 255, 0, 7  # T3Config's start/stop text tokens; any content id


def one_line_error(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


# (1) the backend is absent here, and saying so is a one-line error ------------------------------


def test_the_test_install_has_no_chatterbox_and_the_model_says_how_to_install_it():
    assert importlib.util.find_spec("chatterbox") is None
    with pytest.raises(InvbenchError) as err:
        ChatterboxTTSModel()
    message = one_line_error(err)
    assert "not installed" in message and INSTALL_COMMAND in message
    assert "torchaudio==2.6.0" in message


def test_options_are_checked_before_anything_is_imported():
    for bad, match in (({"offload": True}, "offload"), ({"cfg_weight": 0.0}, "cfg_weight"),
                       ({"temperature": 0.0}, "temperature"), ({"dtype": "float16"}, "float16"),
                       ({"dtype": "int8"}, "dtype")):
        with pytest.raises(InvbenchError, match=match) as err:
            ChatterboxTTSModel(**bad)
        assert "not installed" not in one_line_error(err)


@pytest.fixture
def broken_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A ``chatterbox`` package whose ``tts`` module fails as it does without torchaudio."""
    package = tmp_path / "chatterbox"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tts.py").write_text("import torchaudio_absent_for_this_test as ta\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in [m for m in sys.modules if m == "chatterbox" or m.startswith("chatterbox.")]:
        del sys.modules[name]


def test_a_broken_backend_install_names_the_failing_import(broken_backend):
    with pytest.raises(InvbenchError) as err:
        import_chatterbox()
    message = one_line_error(err)
    assert "fails to import (ModuleNotFoundError" in message
    assert "torchaudio_absent_for_this_test" in message and INSTALL_COMMAND in message


# (2) assets -------------------------------------------------------------------------------------


def test_assets_name_the_backend_and_the_weights():
    package, weights = ChatterboxTTSModel.assets()
    assert isinstance(package, PythonPackage) and package.key == "python:chatterbox"
    assert package.install == INSTALL and INSTALL_COMMAND in package.install
    status = package.check()
    assert not status.present and "not installed" in status.detail
    assert INSTALL_COMMAND in status.detail
    assert isinstance(weights, HubRepo) and weights.key == "hf:ResembleAI/chatterbox"
    assert weights.allow_patterns == CHECKPOINT_FILES
    assert set(CHECKPOINT_FILES) == {"ve.safetensors", "t3_cfg.safetensors",
                                     "s3gen.safetensors", "tokenizer.json", "conds.pt"}
    _, pinned = ChatterboxTTSModel.assets(model="me/cbx", revision="abc", seed=3)
    assert pinned.key == "hf:me/cbx@abc"


# (3) the pure helpers, on real tensors ----------------------------------------------------------


def sine(rate: int, seconds: float = 1.0, hz: float = 440.0) -> torch.Tensor:
    t = torch.arange(int(rate * seconds), dtype=torch.float64) / rate
    return (0.5 * torch.sin(2 * math.pi * hz * t)).float()


@pytest.mark.parametrize("rate", [24000, 22050, 44100, 8000])
def test_resampling_to_16k_keeps_a_tone(rate: int):
    out = resample_to_16k(Waveform(sine(rate), rate))
    assert out.dtype == torch.float32 and out.shape == (16000,)
    interior = slice(800, -800)  # away from the filter's edge transients
    torch.testing.assert_close(out[interior], sine(16000)[interior], atol=2e-3, rtol=0)


def test_a_16k_clip_is_not_resampled():
    x = sine(16000)
    assert torch.equal(resample_to_16k(Waveform(x, 16000)), x)


def test_targets_are_validated_in_one_line():
    wave = Waveform(sine(24000), 24000)
    assert target_waveform(wave) is wave
    assert target_waveform({"audio": wave}) is wave
    assert target_waveform(Target("t", {"audio": wave})) is wave
    bad = [{"text": "hi"}, "hello", sine(24000), {"audio": Waveform(torch.zeros(0), 24000)},
           {"audio": Waveform(torch.full((10,), float("nan")), 24000)},
           {"audio": Waveform(torch.zeros(2, 10), 24000)}]
    for target in bad:
        with pytest.raises(InvbenchError, match="TTS target must be") as err:
            target_waveform(target)
        one_line_error(err)


def test_soft_rows_are_framed_by_the_start_and_stop_rows():
    table = torch.randn(300, 8)
    content = [3, 5, 9]
    soft = table[content].clone().requires_grad_(True)
    framed = frame_soft_rows(table, soft, SOT, EOT)
    assert torch.equal(framed, table[[SOT, *content, EOT]])
    framed.sum().backward()
    assert torch.equal(soft.grad, torch.ones_like(soft))


def generate_text_ids(length: int) -> torch.Tensor:
    """The ids ``ChatterboxTTS.generate`` hands to T3 for a tokenizer output, with CFG on:
    ``text_to_tokens``, two copies, then ``F.pad`` with the start and stop tokens."""
    ids = PlaceholderTokenizer(length, PLACEHOLDER).text_to_tokens("ignored")
    ids = torch.cat([ids, ids], dim=0)
    ids = F.pad(ids, (1, 0), value=SOT)
    return F.pad(ids, (0, 1), value=EOT).long()


def test_soft_text_embedding_reproduces_the_hard_rows_in_generates_framing():
    table = torch.nn.Embedding(300, 8)
    content = [3, 5, 9, 11]
    module = SoftTextEmbedding(table, table.weight[content].detach(), SOT, EOT, PLACEHOLDER)
    ids = generate_text_ids(len(content))
    assert ids.shape == (2, len(content) + 2) and ids.dtype == torch.long
    rows = module(ids)
    hard = table(torch.tensor([[SOT, *content, EOT]] * 2))
    assert torch.equal(rows, hard)
    rows[1].zero_()  # T3.prepare_input_embeds zeroes the CFG row in place
    assert torch.equal(rows[0], hard[0]) and torch.equal(module(ids), hard)
    with pytest.raises(InvbenchError, match="framing changed"):
        module(generate_text_ids(len(content) + 1))
    wrong = ids.clone()
    wrong[0, 2] = 42
    with pytest.raises(InvbenchError, match="framing changed"):
        module(wrong)


def test_speech_tokens_are_laid_out_as_t3_inference_feeds_them():
    ids, positions, labels = speech_teacher_forcing(torch.tensor([5, 6, 7]), 6561, 6562)
    assert ids.tolist() == [6561, 6561, 5, 6, 7]
    assert positions.tolist() == [0, 0, 1, 2, 3]
    assert labels.tolist() == [-100, 5, 6, 7, 6562]
    assert ids.dtype == positions.dtype == labels.dtype == torch.long


def test_vocabulary_masks_special_and_unused_rows_but_keeps_space():
    vocab = {"[STOP]": 0, "a": 1, "[SPACE]": 2, "[UNK]": 3, "b": 4, "[START]": 5, "c": 6,
             "out-of-table": 99}
    strings, mask = vocabulary(vocab, 8, excluded_ids=(6,))
    assert strings == ["[STOP]", "a", "[SPACE]", "[UNK]", "b", "[START]", "c", ""]
    assert mask.tolist() == [False, True, True, False, True, False, False, False]


def test_objective_input_is_checked_in_one_line():
    # the check every text-input model shares (TextInputModel), as Chatterbox calls it
    model = SimpleNamespace(input_spec=TextSpec(vocab_size=300, embedding_dim=8, max_tokens=4))

    def check_objective_input(x, targets, options):
        TextInputModel.check_objective_input(model, x, targets, options, "Chatterbox",
                                             finite=True)

    check_objective_input(torch.zeros(2, 3, 8), [None, None], {})
    bad = [(torch.zeros(2, 3, 8), [None], {}), (torch.zeros(1, 5, 8), [None], {}),
           (torch.zeros(1, 3, 7), [None], {}), ("text", [None], {}),
           (torch.zeros(1, 3, 8), [None], {"cfg": 1}),
           (torch.full((1, 3, 8), float("nan")), [None], {})]
    for x, targets, options in bad:
        with pytest.raises(InvbenchError) as err:
            check_objective_input(x, targets, options)
        one_line_error(err)
