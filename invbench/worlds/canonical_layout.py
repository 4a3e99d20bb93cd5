"""Canonical layouts: one fixed scene per caption, the generator's training images.

A Shapes caption names positions only through relations, so many scenes share it. The generator
is trained on one scene per caption (no jitter; among all cell assignments that keep the caption,
the one whose objects lie farthest apart, then the one centred best, then the first in cell
order), which makes its image a
function of its prompt: what a prompt-recovery benchmark needs, since the target image then
carries everything the prompt says and nothing else.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import replace

from invbench.worlds.shapes import GRID, Scene, ShapeObject, caption, relation


def _relations(cells: tuple[tuple[int, int], ...]) -> tuple[str, ...]:
    objects = [ShapeObject("circle", "red", "small", r, c) for r, c in cells]
    return tuple(relation(a, b) for a, b in zip(objects, objects[1:], strict=False))


@functools.cache
def canonical_cells(relations: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Cells, in reading order, for a chain of ``relations`` (one fewer than the objects)."""
    grid = [(r, c) for r in range(GRID) for c in range(GRID)]
    centre = (GRID - 1) / 2
    best: tuple[tuple[float, float], tuple[tuple[int, int], ...]] | None = None
    for cells in itertools.combinations(grid, len(relations) + 1):  # sorted = reading order
        if _relations(cells) != relations:
            continue
        spread = min((math.dist(a, b) for a, b in itertools.combinations(cells, 2)), default=0)
        mean_row = sum(r for r, _ in cells) / len(cells)
        mean_col = sum(c for _, c in cells) / len(cells)
        key = (spread, -math.dist((mean_row, mean_col), (centre, centre)))
        if best is None or key > best[0]:
            best = (key, cells)
    if best is None:
        raise ValueError(f"no layout on a {GRID}x{GRID} grid has the relations {relations}")
    return best[1]


def canonical_scene(scene: Scene) -> Scene:
    """The scene with the same caption laid out canonically (checked: the caption is kept)."""
    objects = scene.ordered()
    relations = tuple(relation(a, b) for a, b in zip(objects, objects[1:], strict=False))
    cells = canonical_cells(relations)
    pairs = zip(objects, cells, strict=True)
    placed = tuple(replace(obj, row=r, col=c, jitter=(0, 0)) for obj, (r, c) in pairs)
    out = Scene(placed, scene.background)
    if caption(out) != caption(scene):  # pragma: no cover - guarded by a test over all chains
        raise AssertionError(f"canonical layout changed the caption of {caption(scene)!r}")
    return out
