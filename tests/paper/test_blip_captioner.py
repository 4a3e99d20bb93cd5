"""BLIP as the captioner forward model, offline, on a tiny random checkpoint (``tiny_blip``).

Every test loads through ``BlipCaptioner(model=<folder>)``, i.e. transformers' own
``from_pretrained`` path that the real ``Salesforce/blip-image-captioning-large`` takes; only the
sizes differ. The key check is that the objective's ``success`` holds for the captions ``run``
itself produced: that can only happen if the objective's decoder prefix (``[DEC]``), tokenization
and stop token (``[SEP]``) are the ones ``generate`` uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image as PILImage
from tiny_blip import IMAGE_SIZE, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD, build_tiny_blip

from invbench.assets.kinds import HubRepo
from invbench.contracts import Budget, Image, InvbenchError, InversionProblem, Target
from invbench.contracts.errors import InvalidInversion
from invbench.contracts.media import ImageSpec
from invbench.inverters.pixels_adam import PixelsAdam
from invbench.models.paper.blip import BlipCaptioner
from invbench.models.weights_identity import folder_weights_sha256

MAX_NEW_TOKENS = 12
SHAPE = (3, IMAGE_SIZE, IMAGE_SIZE)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(2)
    return build_tiny_blip(tmp_path_factory.mktemp("tiny-blip"))


@pytest.fixture
def blip(folder: Path) -> BlipCaptioner:
    return BlipCaptioner(model=str(folder), max_new_tokens=MAX_NEW_TOKENS)


def images(n: int, seed: int = 1) -> list[Image]:
    g = torch.Generator().manual_seed(seed)
    return [Image(torch.rand(SHAPE, generator=g)) for _ in range(n)]


def test_loads_with_transformers_and_declares_the_checkpoint(blip: BlipCaptioner, folder: Path):
    assert blip.input_spec == ImageSpec(IMAGE_SIZE, IMAGE_SIZE, 3, (0.0, 1.0))
    assert blip.model_id == f"blip:{folder}"
    assert (blip.input_modality, blip.output_modality) == ("image", "text")
    assert blip.weights_sha256 == folder_weights_sha256(folder)
    info = blip.describe()
    assert info["placement"] == {"device": "cpu", "dtype": "float32", "cpu_offload": False}
    assert info["processor"]["image_mean"] == pytest.approx(OPENAI_CLIP_MEAN)
    assert info["processor"]["image_std"] == pytest.approx(OPENAI_CLIP_STD)
    assert info["decoding"]["prefix"].startswith("[DEC]") and "[SEP]" in info["decoding"]["stop"]
    assert info["max_new_tokens"] == MAX_NEW_TOKENS and info["weights_sha256"]
    assert BlipCaptioner.assets(model=str(folder)) == [HubRepo(repo_id=str(folder))]


def test_run_captions_each_image_on_its_own(blip: BlipCaptioner):
    a, b, c = images(3)
    together = blip.run([a, b, c])
    assert all(isinstance(text, str) for text in together) and len(together) == 3
    assert together == blip.run([a]) + blip.run([b]) + blip.run([c])
    assert blip.calls.forward == 6 and blip.calls.backward == 0


def test_objective_is_per_item_and_accepts_every_target_form(blip: BlipCaptioner):
    x = torch.stack([im.pixels for im in images(3)])
    captions = ["a red cat", "two dogs sitting on the grass with a ball", ""]
    result = blip.objective(x, captions)
    assert result.loss.shape == (3,) and result.loss.dtype == torch.float32
    assert torch.isfinite(result.loss).all() and (result.loss > 0).all()
    assert result.success.shape == (3,) and result.success.dtype == torch.bool
    alone = blip.objective(x[:1], captions[:1]).loss
    torch.testing.assert_close(alone, result.loss[:1], rtol=1e-5, atol=1e-5)
    forms = [Target("t", {"text": "a red cat"}), {"text": " A Red Cat "}, "a red cat"]
    losses = blip.objective(x[:1].expand(3, -1, -1, -1), forms).loss
    torch.testing.assert_close(losses, alone.expand(3), rtol=1e-5, atol=1e-5)


def test_objective_equals_blips_own_loss_on_processor_inputs(blip: BlipCaptioner):
    # The independent route: BLIP's processor normalises a PIL image, the tokenizer adds
    # [CLS] ... [SEP] and [CLS] is replaced by the decoder's bos, and BLIP's text decoder computes
    # its own shifted loss (label smoothing is 0 in the tiny config; the real one needs ours).
    pixels = torch.rand(SHAPE, generator=torch.Generator().manual_seed(3))
    array = (pixels * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    x = torch.from_numpy(array).permute(2, 0, 1).float()[None] / 255
    caption = "a small bird in the tree"
    processed = blip.processor(images=PILImage.fromarray(array), text=caption,
                               return_tensors="pt")
    ids = processed["input_ids"].clone()
    ids[:, 0] = blip.model.config.text_config.bos_token_id
    with torch.no_grad():
        embeds = blip.model.vision_model(pixel_values=processed["pixel_values"])[0]
        reference = blip.model.text_decoder(input_ids=ids, encoder_hidden_states=embeds,
                                            labels=ids, reduction="none").loss
    torch.testing.assert_close(blip.objective(x, [caption]).loss.detach(), reference,
                               rtol=1e-4, atol=1e-4)


def test_success_holds_for_the_captions_run_produced(blip: BlipCaptioner):
    batch = images(10)
    captions = blip.run(batch)
    ended = [len(c.split()) < MAX_NEW_TOKENS for c in captions]  # generate emitted [SEP]
    assert sum(ended) >= 3 and any(c and e for c, e in zip(captions, ended, strict=True))
    x = torch.stack([im.pixels for im in batch])
    result = blip.objective(x, captions)
    for caption, stopped, success in zip(captions, ended, result.success.tolist(), strict=True):
        if stopped:
            assert success, caption
    k = ended.index(True)
    longer = blip.objective(x[k:k + 1], [captions[k] + " " + "water " * MAX_NEW_TOKENS])
    assert not bool(longer.success[0])  # does not fit in max_new_tokens


def test_gradients_reach_the_pixels_only(blip: BlipCaptioner):
    x = torch.stack([im.pixels for im in images(2)]).requires_grad_(True)
    result = blip.objective(x, ["a red cat", "the sky"])
    result.loss.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in blip.model.parameters())
    assert (blip.calls.forward, blip.calls.backward) == (2, 2)


def test_bfloat16_computes_in_bfloat16_and_returns_float32(folder: Path):
    blip = BlipCaptioner(model=str(folder), dtype="bfloat16", max_new_tokens=MAX_NEW_TOKENS)
    assert next(blip.model.parameters()).dtype == torch.bfloat16
    x = torch.stack([im.pixels for im in images(2)])
    result = blip.objective(x, ["a red cat", "the sky"])
    assert result.loss.dtype == torch.float32 and torch.isfinite(result.loss).all()
    assert all(isinstance(text, str) for text in blip.run(images(1)))


def test_pixels_adam_steps_lower_the_loss_and_are_counted(blip: BlipCaptioner):
    captions = ["a red cat on the table", "two birds in the sky"]
    problem = InversionProblem(
        task="captioner/tiny-blip", family="captioner",
        targets=[Target(f"t{k}", {"text": c}) for k, c in enumerate(captions)],
        forward=blip, budget=Budget(max_steps=6), seed=0,
    )
    inversions = PixelsAdam(confirm_steps=10_000).invert(problem)
    assert len(inversions) == 2
    for inv in inversions:
        assert isinstance(inv.x, Image) and tuple(inv.x.pixels.shape) == SHAPE
        inv.x.validate(blip.input_spec)  # in [0, 1], finite, the declared size
        assert inv.steps == 6 == len(inv.loss_trace)
        assert inv.loss_trace[-1] < inv.loss_trace[0], inv.loss_trace
    assert (blip.calls.forward, blip.calls.backward) == (12, 12)


def test_wrong_size_image_names_the_expected_size(blip: BlipCaptioner):
    with pytest.raises(InvalidInversion, match=rf"\(3, {IMAGE_SIZE}, {IMAGE_SIZE}\)"):
        blip.run([Image(torch.rand(3, 16, 16))])
    with pytest.raises(InvalidInversion, match="within"):
        blip.run([Image(torch.full(SHAPE, 2.0))])


def test_bad_objective_calls_are_one_line_errors(blip: BlipCaptioner):
    x = torch.rand(1, *SHAPE)
    with pytest.raises(InvbenchError, match="no options.*temperature"):
        blip.objective(x, ["a cat"], temperature=2.0)
    with pytest.raises(InvbenchError, match=rf"\(B, 3, {IMAGE_SIZE}, {IMAGE_SIZE}\)"):
        blip.objective(torch.rand(1, 3, 16, 16), ["a cat"])
    with pytest.raises(InvbenchError, match="1 images for 2 targets"):
        blip.objective(x, ["a cat", "a dog"])
    with pytest.raises(InvbenchError, match="caption string"):
        blip.objective(x, [{"audio": 1}])


def test_a_missing_checkpoint_offline_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InvbenchError) as caught:
        BlipCaptioner(model="invbench-test/does-not-exist")
    message = str(caught.value)
    assert "\n" not in message and "invbench-test/does-not-exist" in message
    assert "invbench prefetch --suite paper" in message and "local folder" in message


class _NotATensor:
    def __reduce__(self):
        return (print, ("never run",))


def _pickled_copy(folder: Path, tmp_path: Path) -> Path:
    """The tiny checkpoint with its weights as a pickle that also carries a non-tensor object."""
    copy = tmp_path / "pickled-blip"
    copy.mkdir()
    for path in folder.iterdir():
        if path.suffix != ".safetensors":
            (copy / path.name).write_bytes(path.read_bytes())
    torch.save({"w": torch.zeros(1), "x": _NotATensor()}, copy / "pytorch_model.bin")
    return copy


def test_a_pickled_checkpoint_is_refused_in_one_line_naming_it(folder: Path, tmp_path: Path):
    copy = _pickled_copy(folder, tmp_path)
    with pytest.raises(InvbenchError) as caught:
        BlipCaptioner(model=str(copy))
    message = str(caught.value)
    assert "\n" not in message and str(copy) in message and "safetensors" in message
    assert "delete" not in message.lower()  # a user's own checkpoint: never advise deleting it


def test_a_truncated_safetensors_checkpoint_is_one_line_naming_the_file(folder: Path,
                                                                        tmp_path: Path):
    copy = tmp_path / "truncated-blip"
    copy.mkdir()
    for path in folder.iterdir():
        data = path.read_bytes()
        (copy / path.name).write_bytes(data[:100] if path.suffix == ".safetensors" else data)
    with pytest.raises(InvbenchError) as caught:
        BlipCaptioner(model=str(copy))
    message = str(caught.value)
    assert "\n" not in message and "model.safetensors" in message
    assert "delete" not in message.lower()
