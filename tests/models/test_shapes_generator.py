"""The Shapes generator as a text-input forward model (quick-trained weights: same classes)."""

from pathlib import Path

import pytest
import torch

from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.media import Image
from invbench.contracts.text_input import Text, nearest_tokens
from invbench.fs.atomic import sha256_file
from invbench.models.zoo.shapes_generator import ShapesGenerator
from invbench.models.zoo.weights import WEIGHTS_FILE
from invbench.recipes.generator import train

CAPTION = "a large red circle above and left of a small cyan ring on a grey background"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generator")
    train(out_dir=out, seed=3, name="tiny-generator", quick=True)
    return out


@pytest.fixture(scope="module")
def model(folder: Path) -> ShapesGenerator:
    return ShapesGenerator(str(folder))


def test_quick_training_is_reproducible_and_loadable(folder: Path, tmp_path: Path) -> None:
    again = train(out_dir=tmp_path, seed=3, name="tiny-generator", quick=True)
    assert again["files"][WEIGHTS_FILE] == sha256_file(folder / WEIGHTS_FILE)
    assert set(again["quality"]) >= {"judge_exact_caption_rate", "captioner_exact_caption_rate"}
    assert ShapesGenerator(str(tmp_path)).model_id == "shapes-generator:tiny-generator"


def test_hard_and_soft_prompts_take_one_path(model: ShapesGenerator) -> None:
    [ids] = model.tokenize([CAPTION])
    assert model.detokenize(ids) == CAPTION
    [hard] = model.run([Text(CAPTION)])
    [soft] = model.run_from_embeddings([model.embed(ids)])
    assert isinstance(hard, Image) and hard.pixels.shape == (3, 64, 64)
    assert torch.equal(hard.pixels, soft.pixels)
    assert hard.pixels.min() >= 0 and hard.pixels.max() <= 1
    projected, cosine = nearest_tokens(model.embed(ids), model.token_embeddings,
                                       model.prompt_token_mask)
    assert projected.tolist() == ids and torch.allclose(cosine, torch.ones(len(ids)))


def test_images_do_not_depend_on_batch_mates(model: ShapesGenerator) -> None:
    prompts = [Text(CAPTION), Text("a small blue square on a white background")]
    together = model.run(prompts)
    alone = [model.run([p])[0] for p in prompts]
    assert all(torch.equal(a.pixels, b.pixels) for a, b in zip(together, alone, strict=True))


def test_noise_seed_changes_the_image(folder: Path, model: ShapesGenerator) -> None:
    other = ShapesGenerator(str(folder), seed=1)
    assert not torch.equal(model.run([Text(CAPTION)])[0].pixels,
                           other.run([Text(CAPTION)])[0].pixels)


def test_objective_is_differentiable_in_the_embeddings(model: ShapesGenerator) -> None:
    [ids] = model.tokenize([CAPTION])
    [target] = model.run([Text(CAPTION)])
    exact = model.embed(ids)[None].clone().requires_grad_(True)
    result = model.objective(exact, [target])
    assert result.loss.item() < 1e-10 and bool(result.success[0])
    start = torch.randn(1, 5, 384, requires_grad=True)
    result = model.objective(start, [{"image": target}])
    result.loss.sum().backward()
    assert start.grad is not None and start.grad.abs().sum() > 0
    assert not bool(result.success[0]) and model.calls.backward >= 1
    assert all(p.grad is None for p in model.net.parameters())


def test_prompt_mask_excludes_special_and_unused_tokens(model: ShapesGenerator) -> None:
    mask, strings = model.prompt_token_mask, model.token_strings
    assert mask.shape == (30522,) and len(strings) == 30522
    for token in ("[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]", "[unused0]"):
        assert not mask[strings.index(token)], token
    assert mask[strings.index("circle")]


@pytest.mark.parametrize("prompt, message", [
    ("a cat", "needs a Text"),
    (Text("   "), "empty"),
    (Text(" ".join(["red"] * 80)), "80 tokens"),
])
def test_bad_prompts_are_named(model: ShapesGenerator, prompt, message) -> None:
    with pytest.raises(InvalidInversion, match=message):
        model.run([prompt])


def test_bad_soft_prompts_and_targets_are_named(model: ShapesGenerator) -> None:
    with pytest.raises(InvalidInversion, match=r"expected \(L, 384\)"):
        model.run_from_embeddings([torch.zeros(3, 10)])
    with pytest.raises(InvalidInversion, match="NaN"):
        model.run_from_embeddings([torch.full((3, 384), float("nan"))])
    with pytest.raises(InvbenchError, match="must be an Image"):
        model.objective(torch.zeros(1, 3, 384), ["a caption"])


def test_shipped_generator_redraws_its_target_set() -> None:
    """The shipped weights match their manifest, and regenerating images-mini's hidden prompts
    gives back its stored targets (up to 8-bit rounding): the set and the model agree."""
    import json

    from invbench.fs.shipped import resource_dir
    from invbench.models.zoo.weights import load_zoo_weights
    from invbench.worlds.shapes import caption_split

    weights = load_zoo_weights("generator")
    assert weights.manifest.quality["judge_exact_caption_rate"] >= 0.85
    assert weights.manifest.bytes <= 25 * 1024 * 1024
    root = resource_dir("data") / "targets" / "images-mini"
    rows = [json.loads(x) for x in (root / "targets.jsonl").read_text().splitlines()]
    assert len(rows) >= 40
    assert all(caption_split(row["hidden"]["text"]) == "test" for row in rows)
    from invbench.targets.builders.images_mini import verify

    assert verify(root) == []
