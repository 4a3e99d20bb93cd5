"""The Shapes world: deterministic 64×64 RGB scenes of 1–3 objects with grammar captions.

A scene places 1–3 objects on distinct cells of a 3×3 grid over a plain background. Each object
has a shape (6), a colour (8) and a size (2); its centre sits at its cell's centre plus a small
jitter, so two renders of one caption differ slightly, as natural photos of one description do.

The caption names every object's size, colour and shape, the relation between each object and the
next in reading order (row by row, left to right), and the background::

    a large red circle above and left of a small blue square on a grey background

Relations (``A rel B``, A before B in reading order): ``left of`` (same row), ``above`` (same
column), ``above and left of`` / ``above and right of`` (A's row is higher and its column left /
right of B's). A chain ``A rel B rel C`` relates consecutive objects. The caption is a function of
the scene; many scenes share a caption (positions are named only through relations).

Splits: every caption belongs to exactly one split by a hash of its text (80% train, 10%
validation, 10% test), and the scenes of a split are drawn from that split's own seed stream,
rejecting scenes whose caption belongs elsewhere. So test captions are never seen in training,
whatever amount of training data a recipe draws.

Example:
    >>> scene = sample_scene(np.random.default_rng(0))
    >>> caption(scene) == caption(scene)  # deterministic
    True
    >>> render(scene).shape
    (64, 64, 3)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from invbench.worlds.splits import SPLITS, hash_split

IMAGE_SIZE = 64
GRID = 3
SUPERSAMPLE = 4  # anti-aliasing: render at 4× and average

SHAPES = ("circle", "square", "triangle", "diamond", "cross", "ring")
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (245, 140, 20),
    "yellow": (240, 220, 40),
    "green": (40, 170, 60),
    "cyan": (40, 200, 220),
    "blue": (40, 70, 220),
    "purple": (140, 60, 190),
    "pink": (245, 130, 190),
}
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "black": (20, 20, 20),
    "grey": (128, 128, 128),
    "white": (235, 235, 235),
}
SIZES: dict[str, float] = {"large": 20.0, "small": 12.0}  # extent in pixels
MAX_JITTER = 2  # pixels, each axis
MAX_OBJECTS = 3

_SPLIT_SEED = {"train": 1_000, "validation": 2_000, "test": 3_000}

RELATIONS = ("left of", "above", "above and left of", "above and right of")
VOCABULARY: tuple[str, ...] = tuple(
    dict.fromkeys(
        ["a", *SIZES, *COLOURS, *SHAPES, "left", "of", "above", "and", "right", "on"]
        + [*BACKGROUNDS, "background"]
    )
)
"""Every word a caption can contain."""


@dataclass(frozen=True)
class ShapeObject:
    shape: str
    colour: str
    size: str
    row: int
    col: int
    jitter: tuple[int, int] = (0, 0)  # (dy, dx) pixels

    def phrase(self) -> str:
        return f"a {self.size} {self.colour} {self.shape}"


@dataclass(frozen=True)
class Scene:
    objects: tuple[ShapeObject, ...]
    background: str

    def ordered(self) -> tuple[ShapeObject, ...]:
        """Objects in reading order: by row, then column (cells are distinct)."""
        return tuple(sorted(self.objects, key=lambda o: (o.row, o.col)))


def relation(a: ShapeObject, b: ShapeObject) -> str:
    """How ``a`` (earlier in reading order) relates to ``b``."""
    if a.row == b.row:
        return "left of"
    if a.col == b.col:
        return "above"
    return "above and left of" if a.col < b.col else "above and right of"


def caption(scene: Scene) -> str:
    objects = scene.ordered()
    words = [objects[0].phrase()]
    for a, b in zip(objects, objects[1:], strict=False):
        words += [relation(a, b), b.phrase()]
    words.append(f"on a {scene.background} background")
    return " ".join(words)


def caption_split(text: str) -> str:
    """The split a caption belongs to, fixed by a hash of its text."""
    return hash_split(text)


def sample_scene(rng: np.random.Generator) -> Scene:
    """A random scene: 1–3 objects on distinct cells, uniform attributes, jittered centres."""
    count = int(rng.integers(1, MAX_OBJECTS + 1))
    cells = rng.choice(GRID * GRID, size=count, replace=False)
    objects = tuple(
        ShapeObject(
            shape=SHAPES[int(rng.integers(len(SHAPES)))],
            colour=list(COLOURS)[int(rng.integers(len(COLOURS)))],
            size=list(SIZES)[int(rng.integers(len(SIZES)))],
            row=int(cell) // GRID,
            col=int(cell) % GRID,
            jitter=(
                int(rng.integers(-MAX_JITTER, MAX_JITTER + 1)),
                int(rng.integers(-MAX_JITTER, MAX_JITTER + 1)),
            ),
        )
        for cell in cells
    )
    return Scene(objects, list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))])


def split_scenes(split: str, seed: int = 0) -> Iterator[Scene]:
    """Endless, deterministic stream of scenes whose captions belong to ``split``."""
    if split not in _SPLIT_SEED:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    rng = np.random.default_rng([_SPLIT_SEED[split], seed])
    while True:
        scene = sample_scene(rng)
        if caption_split(caption(scene)) == split:
            yield scene


def take_scenes(split: str, count: int, seed: int = 0, unique: bool = False) -> list[Scene]:
    """The first ``count`` scenes of a split's stream (with distinct captions if ``unique``)."""
    out: list[Scene] = []
    seen: set[str] = set()
    for scene in split_scenes(split, seed):
        if unique:
            text = caption(scene)
            if text in seen:
                continue
            seen.add(text)
        out.append(scene)
        if len(out) == count:
            return out
    raise AssertionError("unreachable: split streams are endless")


# ---------------------------------------------------------------- rendering

_FINE = IMAGE_SIZE * SUPERSAMPLE
_COORDS = (np.arange(_FINE, dtype=np.float64) + 0.5) / SUPERSAMPLE  # pixel units


def _cell_centre(index: int) -> float:
    return (index + 0.5) * IMAGE_SIZE / GRID


def _shape_mask(shape: str, cy: float, cx: float, extent: float) -> np.ndarray:
    """Boolean mask on the supersampled grid of ``shape`` centred at (cy, cx)."""
    y = _COORDS[:, None] - cy
    x = _COORDS[None, :] - cx
    r = extent / 2
    if shape == "circle":
        return x**2 + y**2 <= r**2
    if shape == "ring":
        d2 = x**2 + y**2
        return (d2 <= r**2) & (d2 >= (0.5 * r) ** 2)
    if shape == "square":
        s = r * 0.85  # a square of the same extent looks larger than a circle
        return (np.abs(x) <= s) & (np.abs(y) <= s)
    if shape == "diamond":
        return np.abs(x) + np.abs(y) <= r
    if shape == "cross":
        arm = r * 0.36
        return ((np.abs(x) <= arm) & (np.abs(y) <= r)) | ((np.abs(y) <= arm) & (np.abs(x) <= r))
    if shape == "triangle":  # pointing up; apex at -r, base at +0.8r
        top, base = -r, 0.8 * r
        t = (y - top) / (base - top)  # 0 at the apex, 1 at the base
        return (t >= 0) & (t <= 1) & (np.abs(x) <= t * r)
    raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")


def render(scene: Scene) -> np.ndarray:
    """The scene as a ``(64, 64, 3)`` uint8 RGB array (anti-aliased, deterministic)."""
    canvas = np.empty((_FINE, _FINE, 3), dtype=np.float64)
    canvas[:] = BACKGROUNDS[scene.background]
    for obj in scene.ordered():
        cy = _cell_centre(obj.row) + obj.jitter[0]
        cx = _cell_centre(obj.col) + obj.jitter[1]
        mask = _shape_mask(obj.shape, cy, cx, SIZES[obj.size])
        canvas[mask] = COLOURS[obj.colour]
    pooled = canvas.reshape(IMAGE_SIZE, SUPERSAMPLE, IMAGE_SIZE, SUPERSAMPLE, 3).mean(axis=(1, 3))
    return np.clip(np.rint(pooled), 0, 255).astype(np.uint8)


def render_tensor(scene: Scene):
    """The scene as a ``(3, 64, 64)`` float32 torch tensor in [0, 1] (what models consume)."""
    import torch

    return torch.from_numpy(render(scene)).permute(2, 0, 1).float().div(255.0)


# ---------------------------------------------------------------- caption tokens

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
TOKENS: tuple[str, ...] = (PAD, BOS, EOS, *VOCABULARY)
TOKEN_ID = {token: i for i, token in enumerate(TOKENS)}
MAX_CAPTION_WORDS = 3 * 4 + 2 * 4 + 4  # three phrases, two longest relations, background


def encode_caption(text: str) -> list[int]:
    """Word ids of a caption followed by ``<eos>``; an unknown word raises naming it."""
    words = text.split()
    unknown = [w for w in words if w not in TOKEN_ID or w in (PAD, BOS, EOS)]
    if unknown:
        raise ValueError(
            f"caption word(s) {unknown} are not in the Shapes world vocabulary "
            f"({len(VOCABULARY)} words: {', '.join(VOCABULARY)})"
        )
    if not words:
        raise ValueError("caption is empty")
    return [TOKEN_ID[w] for w in words] + [TOKEN_ID[EOS]]


def decode_caption(ids) -> str:
    """Words up to the first ``<eos>`` (``<pad>``/``<bos>`` dropped)."""
    words = []
    for i in ids:
        token = TOKENS[int(i)]
        if token == EOS:
            break
        if token not in (PAD, BOS):
            words.append(token)
    return " ".join(words)
