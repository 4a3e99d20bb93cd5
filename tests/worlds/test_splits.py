"""The one split-by-hash function both worlds use: pinned, so no world's split can drift."""

from __future__ import annotations

import hashlib
from collections import Counter

from invbench.worlds import shapes, speech_world
from invbench.worlds.splits import SPLITS, hash_split

# sha256 of the split indices of "text 0" … "text 1999", computed before the two worlds' copies
# of the function were folded into worlds/splits.py: a changed split changes this digest.
PINNED = "897872cd05b28c79484cc5d5623ea58010df9da97a8ac71e3abe17a01fc32253"
TEXTS = [f"text {i}" for i in range(2000)]


def test_splits_are_pinned_and_roughly_80_10_10() -> None:
    indices = "".join(str(SPLITS.index(hash_split(t))) for t in TEXTS)
    assert hashlib.sha256(indices.encode()).hexdigest() == PINNED
    counts = Counter(hash_split(t) for t in TEXTS)
    assert 0.75 < counts["train"] / len(TEXTS) < 0.85
    assert min(counts["validation"], counts["test"]) > 0.07 * len(TEXTS)
    assert [hash_split(f"text {i}") for i in (4, 5, 16)] == ["train", "validation", "test"]


def test_both_worlds_split_with_it() -> None:
    for text in TEXTS[:300]:
        assert shapes.caption_split(text) == hash_split(text)
        if speech_world.split_of(text) != speech_world.RESERVED:
            # the speech world decides on the normalised sentence
            assert speech_world.split_of(text.upper() + ".") == hash_split(text)
    assert shapes.SPLITS == speech_world.SPLITS == SPLITS
