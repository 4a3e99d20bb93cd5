"""Minimal foils: texts one edit away from a target text, for fine-grained consistency.

A consistency score that only tracks the topic gives a Shapes render of "a small red circle left
of a large blue square" almost the same score with "a small blue circle left of a large red
square". The consistency margin (the score with the true text minus the best score over its
foils) is positive only when the input carries the fine-grained content. This module makes the
foils.

- :func:`shapes_foils` parses a Shapes-world caption (:mod:`invbench.worlds.shapes`) and makes
  one foil for each single edit of one of these kinds: ``colour``, ``shape`` or ``size`` of one
  object, the ``background``, one ``relation`` between neighbours, and ``binding`` (two objects'
  colours, or two objects' shapes, exchanged: the same words in another order).
- :func:`vocabulary_foils` is for any other text (a speech-world sentence, a user's or a paper
  task's target). It substitutes one word with other words of a given vocabulary, in a fixed
  order.

Foils are returned deduplicated, never equal to the text itself, in a deterministic order.

Example:
    >>> [f.kind for f in shapes_foils("a small red circle on a black background")][:3]
    ['size', 'colour', 'colour']
    >>> vocabulary_foils("the cat sat", ["cat", "dog", "sat"], per_position=1)
    [Foil(text='cat cat sat', kind='word'), Foil(text='the dog sat', kind='word'), \
Foil(text='the cat cat', kind='word')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from invbench.contracts.errors import InvbenchError
from invbench.worlds.shapes import BACKGROUNDS, COLOURS, RELATIONS, SHAPES, SIZES

FOIL_KINDS = ("size", "colour", "shape", "background", "relation", "binding", "word")
_PHRASE = re.compile(rf"a ({'|'.join(SIZES)}) ({'|'.join(COLOURS)}) ({'|'.join(SHAPES)})")
_CAPTION = re.compile(rf"^(?P<body>.+) on a (?P<background>{'|'.join(BACKGROUNDS)}) background$")


@dataclass(frozen=True)
class Foil:
    text: str
    kind: str  # one of FOIL_KINDS


def _parse(text: str) -> tuple[list[list[str]], list[str], str]:
    """Objects ``[size, colour, shape]``, the relations between them, the background."""
    whole = _CAPTION.match(text)
    if whole is None:
        raise InvbenchError(f"not a Shapes-world caption (expected '... on a <background> "
                            f"background'): {text!r}")
    body, objects, relations, position = whole["body"], [], [], 0
    for found in _PHRASE.finditer(body):
        gap = body[position:found.start()].strip()
        if objects:
            relations.append(gap)
        elif gap:
            break  # text before the first phrase: not a caption
        objects.append(list(found.groups()))
        position = found.end()
    if not objects or body[position:].strip() or any(r not in RELATIONS for r in relations):
        raise InvbenchError(f"not a Shapes-world caption (objects 'a <size> <colour> <shape>' "
                            f"joined by {', '.join(RELATIONS)}): {text!r}")
    return objects, relations, whole["background"]


def _render(objects: list[list[str]], relations: list[str], background: str) -> str:
    words = [f"a {' '.join(objects[0])}"]
    for rel, obj in zip(relations, objects[1:], strict=True):
        words += [rel, f"a {' '.join(obj)}"]
    return f"{' '.join(words)} on a {background} background"


def _edits(objects: list[list[str]], relations: list[str], background: str
           ) -> Iterable[tuple[str, list[list[str]], list[str], str]]:
    """Every single edit of the parsed caption, as (kind, objects, relations, background)."""
    for i, obj in enumerate(objects):
        for slot, (kind, values) in enumerate((("size", SIZES), ("colour", COLOURS),
                                               ("shape", SHAPES))):
            for value in values:
                if value != obj[slot]:
                    changed = [list(o) for o in objects]
                    changed[i][slot] = value
                    yield kind, changed, relations, background
    for value in BACKGROUNDS:
        if value != background:
            yield "background", objects, relations, value
    for k, rel in enumerate(relations):
        for value in RELATIONS:
            if value != rel:
                yield "relation", objects, [*relations[:k], value, *relations[k + 1:]], \
                    background
    for i in range(len(objects)):
        for j in range(i + 1, len(objects)):
            for slot in (1, 2):  # colour, shape: bound to the wrong object
                changed = [list(o) for o in objects]
                changed[i][slot], changed[j][slot] = objects[j][slot], objects[i][slot]
                yield "binding", changed, relations, background


def shapes_foils(text: str) -> list[Foil]:
    """Every single-edit foil of a Shapes-world caption (see the module docstring)."""
    objects, relations, background = _parse(text)
    return _unique(text, ((kind, _render(o, r, b)) for kind, o, r, b in
                          _edits(objects, relations, background)))


def vocabulary_foils(text: str, vocabulary: Sequence[str], per_position: int = 3) -> list[Foil]:
    """Foils that replace one word of ``text`` with each of the next ``per_position`` words of
    ``vocabulary`` (sorted, deduplicated), taken cyclically after that word's place in it."""
    words, vocab = text.split(), sorted(set(vocabulary))
    if not words or len(vocab) < 2 or per_position < 1:
        raise InvbenchError(f"word foils need a non-empty text, a vocabulary of 2 or more words "
                            f"and per_position >= 1; got {len(words)} words, {len(vocab)} in the "
                            f"vocabulary, per_position={per_position}")
    candidates = []
    for i, word in enumerate(words):
        start = vocab.index(word) if word in vocab else -1
        others = [vocab[(start + k) % len(vocab)] for k in range(1, len(vocab) + 1)]
        others = [w for w in others if w != word][:per_position]
        candidates += [("word", " ".join([*words[:i], w, *words[i + 1:]])) for w in others]
    return _unique(text, candidates)


def _unique(text: str, candidates: Iterable[tuple[str, str]]) -> list[Foil]:
    seen, out = {text}, []
    for kind, foil in candidates:
        if foil not in seen:
            seen.add(foil)
            out.append(Foil(foil, kind))
    return out
