"""Minimal foils (invbench.worlds.foils): one edit away from the text, every kind present, valid
captions of the world, nothing equal to the text, deterministic."""

from __future__ import annotations

import doctest
from collections import Counter

import pytest

from invbench.contracts.errors import InvbenchError
from invbench.worlds import foils as foils_module
from invbench.worlds.foils import shapes_foils, vocabulary_foils
from invbench.worlds.shapes import VOCABULARY, caption, take_scenes

TWO = "a small red circle left of a large blue square on a black background"


def test_the_docstring_examples_run():
    result = doctest.testmod(foils_module)
    assert result.attempted >= 2 and result.failed == 0


def test_every_kind_of_single_edit_appears_once_per_choice():
    made = shapes_foils(TWO)
    kinds = Counter(f.kind for f in made)
    # 2 objects: 1 other size, 7 other colours, 5 other shapes each; 2 other backgrounds;
    # 3 other relations; binding: the two colours exchanged, the two shapes exchanged
    assert kinds == {"size": 2, "colour": 14, "shape": 10, "background": 2, "relation": 3,
                     "binding": 2}
    texts = [f.text for f in made]
    assert len(set(texts)) == len(texts) and TWO not in texts
    binding = {f.text for f in made if f.kind == "binding"}
    assert binding == {"a small blue circle left of a large red square on a black background",
                       "a small red square left of a large blue circle on a black background"}


def test_word_edits_change_one_word_and_binding_keeps_the_words():
    for foil in shapes_foils(TWO):
        old, new = TWO.split(), foil.text.split()
        if foil.kind == "binding":
            assert Counter(old) == Counter(new) and old != new
        elif foil.kind != "relation":  # a relation may change length ("above and left of")
            assert len(old) == len(new) and sum(a != b for a, b in zip(old, new, strict=True)) == 1


@pytest.mark.parametrize("seed", [0, 1])
def test_foils_of_real_captions_are_valid_captions(seed):
    for scene in take_scenes("test", 20, seed=seed, unique=True):
        text = caption(scene)
        made = shapes_foils(text)
        assert made and all(set(f.text.split()) <= set(VOCABULARY) for f in made)
        assert all(shapes_foils(f.text) for f in made)  # each foil parses as a caption
        assert shapes_foils(text) == made  # deterministic


def test_text_that_is_no_caption_is_refused_in_one_line():
    for bad in ("a red circle on a black background", "hello world",
                "a small red circle beside a large blue square on a black background",
                "x a small red circle on a black background"):
        with pytest.raises(InvbenchError, match="not a Shapes-world caption") as err:
            shapes_foils(bad)
        assert "\n" not in str(err.value)


def test_vocabulary_foils_substitute_one_word_at_a_time():
    vocab = ["bird", "cat", "dog", "fish", "sat", "the"]
    made = vocabulary_foils("the cat sat", vocab, per_position=2)
    assert [f.text for f in made] == ["bird cat sat", "cat cat sat", "the dog sat",
                                      "the fish sat", "the cat the", "the cat bird"]
    assert {f.kind for f in made} == {"word"}
    assert vocabulary_foils("the cat sat", vocab[::-1], per_position=2) == made  # order-free
    with pytest.raises(InvbenchError, match="word foils need"):
        vocabulary_foils("", vocab)
    with pytest.raises(InvbenchError, match="word foils need"):
        vocabulary_foils("a b", ["a"])
