"""The speech world: the sentences the mini text-to-speech model is trained and inverted on.

Its words are :mod:`invbench.worlds.speech_lexicon` (common English that Whisper tiny.en spells
one way only, plus every word of the ASR targets, :mod:`invbench.worlds.target_sentences`); a
sentence expands a weighted template by the grammar of :mod:`invbench.worlds.speech_grammar`.
This module draws distinct sentences and splits them; the names of both parts are importable
from here.

Splits: every sentence belongs to one split by a sha256 hash of its normalised text (80% train,
10% validation, 10% test), so test sentences are never trained on, whatever amount is drawn. A
sentence equal to an ASR target is ``reserved``, never drawn by :func:`split_sentences`: a TTS
trained on ``train`` has never heard the targets.

Example:
    >>> sentences = sample_sentences(3, seed=0)
    >>> len(set(sentences)), all(s[0].isupper() and s.endswith(".") for s in sentences)
    (3, True)
    >>> normalise("The small dog sat near the window.")
    'the small dog sat near the window'
    >>> split_of("The red circle."), split_of("the red circle")  # an ASR target
    ('reserved', 'reserved')
    >>> all(split_of(s) == "test" for s in split_sentences("test", 5, seed=1))
    True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from invbench.worlds.speech_grammar import (
    MAX_WORDS,
    MIN_WORDS,
    P_OPTIONAL,
    RULES,
    TEMPLATES,
    sample_sentence,
)
from invbench.worlds.speech_lexicon import TARGET_EXCEPTIONS, VOCABULARY, WORD_CLASSES
from invbench.worlds.splits import SPLITS, hash_split
from invbench.worlds.target_sentences import SENTENCES as TARGET_SENTENCES

__all__ = [
    "MAX_WORDS", "MIN_WORDS", "P_OPTIONAL", "RESERVED", "RULES", "SPLITS", "TARGET_EXCEPTIONS",
    "TEMPLATES", "VOCABULARY", "WORD_CLASSES", "normalise", "sample_sentence", "sample_sentences",
    "split_of", "split_sentences",
]


def _distinct(rng: np.random.Generator, n: int, keep: Callable[[str], bool]) -> list[str]:
    out: dict[str, None] = {}  # an insertion-ordered set: first occurrences kept
    for _ in range(100 * n + 1000):  # a bound, never reached: the grammar is far larger than n
        if len(out) >= n:
            break
        sentence = sample_sentence(rng)
        if keep(sentence):
            out[sentence] = None
    if len(out) < n:
        raise ValueError(f"could not draw {n} distinct sentences")
    return list(out)


def sample_sentences(n: int, seed: int) -> list[str]:
    """``n`` distinct sentences of any split, deterministic for ``seed``."""
    return _distinct(np.random.default_rng(seed), n, lambda _: True)


# ------------------------------------------------------------------ splits
RESERVED = "reserved"


def normalise(sentence: str) -> str:
    """The text a split is decided on: lowercase, single spaces, no final period."""
    return " ".join(sentence.strip().lower().removesuffix(".").split())


_RESERVED_TEXTS = frozenset(normalise(s) for s in TARGET_SENTENCES)


def split_of(sentence: str) -> str:
    """``reserved`` for an ASR target, else train/validation/test (80/10/10) by sha256."""
    text = normalise(sentence)
    if text in _RESERVED_TEXTS:
        return RESERVED
    return hash_split(text)


def split_sentences(split: str, n: int, seed: int) -> list[str]:
    """``n`` distinct sentences of ``split``, deterministic for (``seed``, ``split``)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    return _distinct(rng, n, lambda sentence: split_of(sentence) == split)
