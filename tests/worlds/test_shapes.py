"""The Shapes world: determinism, caption grammar, and splits that never leak test captions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from invbench.worlds import shapes
from invbench.worlds.shapes import Scene, ShapeObject, caption, render


def _obj(row, col, shape="circle", colour="red", size="large"):
    return ShapeObject(shape, colour, size, row, col)


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ([_obj(1, 1)], "a large red circle on a grey background"),
        ([_obj(0, 0), _obj(0, 2, "square", "blue", "small")],
         "a large red circle left of a small blue square on a grey background"),
        ([_obj(2, 1, "square"), _obj(0, 1)],  # listed out of order: reading order decides
         "a large red circle above a large red square on a grey background"),
        ([_obj(0, 0), _obj(1, 2, "ring")],
         "a large red circle above and left of a large red ring on a grey background"),
        ([_obj(0, 2), _obj(2, 0, "cross"), _obj(2, 2, "diamond", "pink")],
         "a large red circle above and right of a large red cross left of a large pink diamond "
         "on a grey background"),
    ],
)  # fmt: skip
def test_caption_grammar(objects, expected):
    assert caption(Scene(tuple(objects), "grey")) == expected


def test_world_has_the_promised_variety():
    assert len(shapes.SHAPES) >= 6 and len(shapes.COLOURS) >= 8 and len(shapes.SIZES) == 2
    assert len(shapes.BACKGROUNDS) >= 3 and shapes.GRID == 3 and shapes.MAX_OBJECTS == 3
    scenes = shapes.take_scenes("train", 300)
    assert {len(s.objects) for s in scenes} == {1, 2, 3}
    for scene in scenes[:50]:
        cells = [(o.row, o.col) for o in scene.objects]
        assert len(set(cells)) == len(cells)
        assert set(caption(scene).split()) <= set(shapes.VOCABULARY)


def test_rendering_is_deterministic_and_shows_the_objects():
    scene = Scene((_obj(1, 1, "square", "blue"),), "white")
    image = render(scene)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert np.array_equal(image, render(scene))
    assert tuple(image[32, 32]) == shapes.COLOURS["blue"]
    assert tuple(image[2, 2]) == shapes.BACKGROUNDS["white"]


@pytest.mark.parametrize("shape", shapes.SHAPES)
def test_every_shape_renders_differently(shape):
    masks = {
        s: render(Scene((_obj(1, 1, s, "red"),), "black"))[..., 0] > 128 for s in shapes.SHAPES
    }
    assert masks[shape].sum() > 30
    for other in shapes.SHAPES:
        if other != shape:
            assert (masks[shape] != masks[other]).sum() > 10, (shape, other)


def test_streams_are_reproducible_and_split_by_caption():
    first = [caption(s) for s in shapes.take_scenes("test", 20, seed=3)]
    again = [caption(s) for s in shapes.take_scenes("test", 20, seed=3)]
    assert first == again
    train = {caption(s) for s in itertools.islice(shapes.split_scenes("train"), 3000)}
    test = {caption(s) for s in shapes.take_scenes("test", 300)}
    assert all(shapes.caption_split(c) == "test" for c in test)
    assert not train & test


def test_unknown_split_and_words_are_named():
    with pytest.raises(ValueError, match="unknown split 'tset'"):
        next(shapes.split_scenes("tset"))
    with pytest.raises(ValueError, match=r"\['hexagon'\]"):
        shapes.encode_caption("a large red hexagon on a grey background")


def test_caption_tokens_round_trip():
    text = "a small pink ring above and right of a large cyan cross on a black background"
    ids = shapes.encode_caption(text)
    assert ids[-1] == shapes.TOKEN_ID[shapes.EOS]
    assert shapes.decode_caption(ids) == text
