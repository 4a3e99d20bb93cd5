"""Canonical layouts: every relation chain has one, and it keeps the caption."""

import itertools

import pytest

from invbench.worlds.canonical_layout import canonical_cells, canonical_scene
from invbench.worlds.shapes import RELATIONS, ShapeObject, caption, relation, take_scenes


@pytest.mark.parametrize("count", [1, 2, 3])
def test_every_relation_chain_has_a_layout_with_those_relations(count: int) -> None:
    for relations in itertools.product(RELATIONS, repeat=count - 1):
        cells = canonical_cells(relations)
        assert len(set(cells)) == count and list(cells) == sorted(cells)  # reading order
        objects = [ShapeObject("circle", "red", "small", r, c) for r, c in cells]
        got = tuple(relation(a, b) for a, b in zip(objects, objects[1:], strict=False))
        assert got == relations


def test_layouts_are_spread_and_centred() -> None:
    assert canonical_cells(()) == ((1, 1),)
    assert canonical_cells(("left of",)) == ((1, 0), (1, 2))
    assert canonical_cells(("above",)) == ((0, 1), (2, 1))


def test_canonical_scene_keeps_the_caption_and_drops_jitter() -> None:
    scenes = take_scenes("train", 300, seed=4)
    for scene in scenes:
        canonical = canonical_scene(scene)
        assert caption(canonical) == caption(scene)
        assert all(o.jitter == (0, 0) for o in canonical.objects)
    # scenes with one caption share one layout
    first = canonical_scene(scenes[0])
    assert canonical_scene(first) == first
