"""The mini-CLIP recipe's training data: rendered scenes, MiniLM caption embeddings, and the
attribute-swapped hard-negative captions (see :mod:`invbench.recipes.mini_clip`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

import numpy as np
import torch

from invbench.worlds.shapes import MAX_JITTER, Scene, caption, caption_split, render, take_scenes


def _rejitter(scene: Scene, rng: np.random.Generator) -> Scene:
    """``scene`` with every object's jitter drawn afresh (its caption is unchanged)."""
    objects = tuple(
        replace(o, jitter=tuple(int(v) for v in rng.integers(-MAX_JITTER, MAX_JITTER + 1, 2)))
        for o in scene.objects
    )
    return Scene(objects, scene.background)


def render_batch(scenes) -> torch.Tensor:
    """uint8 ``(N, 3, 64, 64)``."""
    return torch.from_numpy(np.stack([render(s) for s in scenes])).permute(0, 3, 1, 2).contiguous()


def _encode_captions(
    texts: list[str], use_cache: bool, progress: bool
) -> tuple[torch.Tensor, bool]:
    """MiniLM embeddings ``(N, 384)`` of distinct captions, cached by content and weights, and
    whether they came from the cache."""
    from invbench.models.minilm import load_minilm

    minilm = load_minilm()
    key = hashlib.sha256(
        json.dumps({"texts": texts, "minilm": minilm.weights_sha256}).encode()
    ).hexdigest()[:20]
    path = None
    if use_cache:
        from invbench.fs.cache import cache_dir

        path = cache_dir() / "mini-clip" / f"captions-{key}.safetensors"
        if path.is_file():
            from safetensors.torch import load_file

            cached = load_file(str(path))["embeddings"]
            if cached.shape == (len(texts), 384):
                return cached, True
    from tqdm.auto import tqdm

    chunks = []
    chunk = 512
    for start in tqdm(
        range(0, len(texts), chunk), desc="MiniLM captions", unit="chunk", disable=not progress
    ):
        chunks.append(minilm.encode(texts[start : start + chunk], batch_size=64))
    embeddings = torch.cat(chunks).contiguous()
    if path is not None:
        from safetensors.torch import save

        from invbench.fs.atomic import atomic_write_bytes

        atomic_write_bytes(path, save({"embeddings": embeddings}))
    return embeddings, False


@dataclass
class Pool:
    images: torch.Tensor  # uint8 (V, N, 3, 64, 64)
    caption_ids: torch.Tensor  # long (N,)
    embeddings: torch.Tensor  # float (C, 384), C distinct captions
    negative_ids: torch.Tensor  # long (N,): a binding-swapped caption per scene, -1 if none
    captions_from_cache: bool = False


SWAPPABLE = ("colour", "shape", "size")


def swap_attribute(scene: Scene, i: int, j: int, attribute: str) -> Scene:
    """``scene`` with ``attribute`` of its ``i``-th and ``j``-th objects (reading order) swapped."""
    objects = list(scene.ordered())
    a, b = objects[i], objects[j]
    objects[i] = replace(a, **{attribute: getattr(b, attribute)})
    objects[j] = replace(b, **{attribute: getattr(a, attribute)})
    return Scene(tuple(objects), scene.background)


def hard_negative(scene: Scene, rng: np.random.Generator) -> str | None:
    """The caption of ``scene`` with one attribute of two of its objects swapped (a different
    caption with the same words), or ``None`` for scenes where no swap changes the caption."""
    objects = scene.ordered()
    options = [
        (i, j, attribute)
        for i in range(len(objects))
        for j in range(i + 1, len(objects))
        for attribute in SWAPPABLE
        if getattr(objects[i], attribute) != getattr(objects[j], attribute)
    ]
    if not options:
        return None
    i, j, attribute = options[int(rng.integers(len(options)))]
    return caption(swap_attribute(scene, i, j, attribute))


def build_pool(
    train_scenes: int, jitter_variants: int, hard_negatives: bool, data_seed: int,
    use_cache: bool, progress: bool,
) -> Pool:
    """The first ``train_scenes`` train-split scenes rendered ``jitter_variants`` times, their
    captions' MiniLM embeddings and (with ``hard_negatives``) a swapped caption per scene."""
    from tqdm.auto import tqdm

    scenes = take_scenes("train", train_scenes, seed=data_seed)
    texts = [caption(s) for s in scenes]
    distinct = list(dict.fromkeys(texts))
    index = {t: i for i, t in enumerate(distinct)}
    caption_ids = torch.tensor([index[t] for t in texts], dtype=torch.long)
    rng = np.random.default_rng([data_seed, 77])
    negative_ids = torch.full((len(scenes),), -1, dtype=torch.long)
    if hard_negatives:
        for k, scene in enumerate(scenes):
            text = hard_negative(scene, rng)
            if text is not None and caption_split(text) == "train":  # never a test caption
                negative_ids[k] = index.setdefault(text, len(distinct))
                if negative_ids[k] == len(distinct):
                    distinct.append(text)
    variants = []
    for v in range(jitter_variants):
        batch = scenes if v == 0 else [_rejitter(s, rng) for s in scenes]
        rendered = np.empty((len(batch), 64, 64, 3), dtype=np.uint8)
        for i, scene in enumerate(
            tqdm(batch, desc=f"render {v + 1}/{jitter_variants}", disable=not progress)
        ):
            rendered[i] = render(scene)
        variants.append(torch.from_numpy(rendered).permute(0, 3, 1, 2))
    images = torch.stack(variants).contiguous()
    embeddings, from_cache = _encode_captions(distinct, use_cache, progress)
    return Pool(images, caption_ids, embeddings, negative_ids, from_cache)
