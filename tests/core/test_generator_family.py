"""The generator family adapter: prompt validation, regeneration fields, artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from invbench.contracts.errors import InvalidInversion
from invbench.contracts.inversion import Inversion
from invbench.contracts.media import Image
from invbench.contracts.text_input import Text, TextSpec
from invbench.families.generator import GeneratorFamily
from invbench.models.zoo.shapes_generator import ShapesGenerator
from invbench.recipes.generator import train
from invbench.targets.target_set import TargetItem

CAPTION = "a small blue square on a white background"


class _Model:
    input_spec = TextSpec(vocab_size=100, embedding_dim=8, max_tokens=4)


@pytest.mark.parametrize(
    ("inversion", "status", "message"),
    [
        (Inversion(x="a prompt"), "error", "must hold a Text"),
        (Inversion(x=Image(torch.zeros(3, 4, 4))), "error", "must hold a Text"),
        (Inversion(x=Text("")), "error", "empty"),
        (Inversion(x=Text(3)), "error", "must be a str"),
        (Inversion(x=Text("ok"), soft_embeddings=torch.zeros(2, 5)), "error", r"expected \(L, 8\)"),
        (Inversion(x=Text("ok"), soft_embeddings=torch.zeros(5, 8)), "error", "1 to 4"),
        (Inversion(x=Text("ok"), soft_embeddings=torch.full((2, 8), float("nan"))), "nan", "NaN"),
        (Inversion(x=Text("ok"), soft_embeddings=[[0.0] * 8]), "error", "must be a tensor"),
        (Inversion(x=Text("ok"), token_ids=[1, 100]), "error", r"ints in \[0, 100\)"),
        (Inversion(x=Text("ok"), token_ids=[1.5]), "error", "ints"),
    ],
)
def test_bad_prompts_are_refused_with_a_reason(inversion, status, message):
    with pytest.raises(InvalidInversion, match=message) as info:
        GeneratorFamily().validate(inversion, _Model())
    assert info.value.status == status


def test_a_valid_prompt_passes():
    GeneratorFamily().validate(
        Inversion(x=Text("ok"), soft_embeddings=torch.zeros(4, 8), token_ids=[0, 99]), _Model())


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> ShapesGenerator:
    out = tmp_path_factory.mktemp("generator")
    train(out_dir=out, seed=5, name="tiny-generator", quick=True)
    return ShapesGenerator(str(out))


def test_fields_regenerate_from_text_and_soft_embeddings(model, tmp_path: Path):
    [target] = model.run([Text(CAPTION)])
    items = [TargetItem(f"t{i}", {"image": target}, {"text": CAPTION}) for i in range(2)]
    [ids] = model.tokenize([CAPTION])
    soft = torch.randn(3, 384)
    inversions = [Inversion(x=Text(CAPTION), soft_embeddings=model.embed(ids)),
                  Inversion(x=Text("red circle"), soft_embeddings=soft, token_ids=[7, 8, 9])]
    fields, outputs = GeneratorFamily().scoring_fields(model, items, inversions)
    assert torch.equal(fields["image"][0].pixels, target.pixels)
    assert torch.equal(fields["soft_image"][0].pixels, target.pixels)  # same path, same image
    assert torch.equal(fields["soft_image"][1].pixels,
                       model.run_from_embeddings([soft])[0].pixels)
    assert fields["token_ids"] == [ids, [7, 8, 9]]  # from the text when the inverter gave none
    assert fields["hypothesis"] == [CAPTION, "red circle"]
    assert fields["target_text"] == [CAPTION, CAPTION]
    assert fields["reference_image"][1] is target
    assert fields["embedding_table"][0].shape == (30522, 384)
    assert outputs[0]["prompt"] == CAPTION and outputs[0]["tokens"][:2] == ["a", "small"]

    no_soft = Inversion(x=Text(CAPTION))
    fields, _ = GeneratorFamily().scoring_fields(model, items[:1], [no_soft])
    assert fields["soft_image"] == [None] and fields["soft_embeddings"] == [None]

    paths = GeneratorFamily().save_artifacts(inversions[1], tmp_path, "t1-s0")
    assert json.loads(Path(paths["prompt"]).read_text()) == {"text": "red circle",
                                                            "token_ids": [7, 8, 9]}
    from safetensors.torch import load_file
    assert torch.equal(load_file(paths["soft_embeddings"])["soft_embeddings"], soft)
    assert set(GeneratorFamily().save_artifacts(no_soft, tmp_path, "t0-s0")) == {"prompt"}
