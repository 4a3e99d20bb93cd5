"""consistency_margin: the consistency of an image with its target caption, and the margin over
the caption's minimal foils, on the independent judge (mini-clip-judge). Checked against a direct
computation and against clip_score on the same judge (itself tested against torchmetrics), in
every batch split, and for validity: renders of the caption have a positive margin, renders with
two objects' colours exchanged a negative one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from metric_tester import MetricTester, Tol

from invbench.contracts.errors import InvbenchError
from invbench.contracts.media import Image
from invbench.metrics.clip_score import CLIPScore, load_judge
from invbench.metrics.consistency_margin import ConsistencyMargin
from invbench.recipes.mini_clip_data import swap_attribute
from invbench.worlds.foils import shapes_foils
from invbench.worlds.shapes import caption, render_tensor, take_scenes

# float32 embeddings, float64 cosines: the judge's rows agree across batchings to ~1e-6
TOL = Tol(abs=1e-5)


@pytest.fixture(scope="module")
def judge():
    return load_judge("mini-clip-judge")


@pytest.fixture(scope="module")
def scenes():
    """Test-split scenes with at least two objects of different colours (a binding to swap)."""
    found = [s for s in take_scenes("test", 60, seed=21, unique=True)
             if len(s.objects) >= 2 and s.ordered()[0].colour != s.ordered()[1].colour]
    return found[:8]


def direct(judge, image: Image, text: str) -> dict[str, float]:
    texts = [text, *(f.text for f in shapes_foils(text))]
    with torch.no_grad():
        m = judge.embed_images(image.pixels[None]).double().numpy()[0]
        t = judge.embed_texts(texts).double().numpy()
    cos = t @ m / (np.linalg.norm(t, axis=1) * np.linalg.norm(m))
    return {"consistency": cos[0], "consistency_margin": cos[0] - cos[1:].max()}


def test_values_match_a_direct_computation_in_every_batch_split(judge, scenes):
    images = [Image(render_tensor(s)) for s in scenes]
    texts = [caption(s) for s in scenes]
    images.append(Image(torch.rand(3, 32, 32)))  # the judge's input is 64x64: an input error
    texts.append(texts[0])
    references = [direct(judge, i, t) for i, t in zip(images[:-1], texts[:-1], strict=True)]
    results = MetricTester(lambda: ConsistencyMargin(judge=judge)).run(
        {"image": images, "target_text": texts}, [*references, None], TOL)
    assert results[-1][1] and "64" in results[-1][1]


def test_consistency_is_clip_score_over_its_weight_where_positive(judge, scenes):
    metric, clip = ConsistencyMargin(judge=judge), CLIPScore(judge=judge)
    for scene in scenes:
        image, text = Image(render_tensor(scene)), caption(scene)
        cos = metric.score_item(image, text)["consistency"]
        assert clip.score_item(image, text)["clip_score"] == pytest.approx(
            2.5 * max(cos, 0.0), abs=2.5e-6)


def test_the_margin_is_positive_for_the_caption_and_negative_for_swapped_colours(judge, scenes):
    metric = ConsistencyMargin(judge=judge)
    true, swapped = [], []
    for scene in scenes:
        text = caption(scene)
        true.append(metric.score_item(Image(render_tensor(scene)), text)["consistency_margin"])
        other = swap_attribute(scene, 0, 1, "colour")
        swapped.append(metric.score_item(Image(render_tensor(other)), text)["consistency_margin"])
    assert np.mean(np.array(true) > 0) >= 0.75, true
    assert np.mean(np.array(swapped) < 0) >= 0.75, swapped
    assert np.mean(true) > 0 > np.mean(swapped)


def test_options_and_inputs_are_checked_in_one_line(judge):
    with pytest.raises(InvbenchError, match="foils must be one of"):
        ConsistencyMargin(foils="grammar")
    with pytest.raises(InvbenchError, match="needs a vocabulary"):
        ConsistencyMargin(foils="vocabulary")
    metric = ConsistencyMargin(judge=judge)
    image = Image(torch.rand(3, 64, 64))
    for text, match in (("", "non-empty"), ("hello world", "not a Shapes-world caption")):
        [result] = metric.score({"image": [image], "target_text": [text]})
        assert match in result.error and "\n" not in result.error
    words = ConsistencyMargin(judge=judge, foils="vocabulary", per_position=2,
                              vocabulary=["red", "blue", "circle", "square"])
    values = words.score_item(image, "red circle")
    assert set(values) == {"consistency", "consistency_margin"}
    assert "foils:vocabulary-4-words-2-per-position" in words.signature()
    assert "model:mini-clip-judge" in ConsistencyMargin().signature()
