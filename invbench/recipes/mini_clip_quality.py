"""How well a mini-CLIP network retrieves: the quality its recipe records.

Text retrieval among held-out test-split pairs (captions never seen in training): for each of
``group_size`` test scenes with distinct captions, is its own caption the best-scoring of the
group (and among the top five; and the other way round)? Plus binding accuracy: how often an
image's caption outscores the caption with the colours, or the shapes, of its first two objects
swapped (see :mod:`invbench.recipes.mini_clip`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from invbench.models.zoo.mini_clip import MiniCLIPNet
from invbench.recipes.mini_clip_data import render_batch, swap_attribute
from invbench.worlds.shapes import caption, take_scenes


@torch.no_grad()
def retrieval_quality(
    net: MiniCLIPNet,
    seed: int = 0,
    groups: int = 5,
    group_size: int = 100,
    embed_texts: Any = None,
) -> dict[str, Any]:
    """Retrieval among ``groups`` disjoint groups of ``group_size`` test pairs (unique captions).

    ``embed_texts`` maps captions to MiniLM embeddings (default: ``load_minilm().encode``).
    """
    if embed_texts is None:
        from invbench.models.minilm import load_minilm

        embed_texts = load_minilm().encode
    net.eval()
    scenes = take_scenes("test", groups * group_size, seed=seed, unique=True)
    images = render_batch(scenes).float().div(255.0)
    image_emb = torch.cat(
        [net.embed_images(images[i : i + 256]) for i in range(0, len(scenes), 256)]
    )
    text_emb = net.map_texts(embed_texts([caption(s) for s in scenes]))
    r1, r5, t2i = [], [], []
    for g in range(groups):
        sl = slice(g * group_size, (g + 1) * group_size)
        sims = image_emb[sl] @ text_emb[sl].T
        own = sims.diagonal()[:, None]
        ranks_i2t = (sims > own).sum(1)  # captions above the image's own
        ranks_t2i = (sims.transpose(0, 1) > own).sum(1)  # images above the caption's own
        r1.append(float((ranks_i2t == 0).float().mean()))
        r5.append(float((ranks_i2t < 5).float().mean()))
        t2i.append(float((ranks_t2i == 0).float().mean()))
    tag = f"{group_size}"
    binding = {
        f"binding_{attribute}_swap_accuracy": round(
            _swap_accuracy(net, scenes, image_emb, attribute, embed_texts), 4
        )
        for attribute in ("colour", "shape")
    }
    return {
        f"image_to_text_r_at_1_{tag}": round(r1[0], 4),
        f"image_to_text_r_at_5_{tag}": round(r5[0], 4),
        f"text_to_image_r_at_1_{tag}": round(t2i[0], 4),
        f"image_to_text_r_at_1_{tag}_mean_of_{groups}": round(float(np.mean(r1)), 4),
        f"image_to_text_r_at_1_{tag}_groups": [round(r, 4) for r in r1],
        f"image_to_text_r_at_5_{tag}_mean_of_{groups}": round(float(np.mean(r5)), 4),
        f"text_to_image_r_at_1_{tag}_mean_of_{groups}": round(float(np.mean(t2i)), 4),
        **binding,
        "eval_split": "test",
        "eval_seed": seed,
        "eval_pairs": groups * group_size,
    }


def _swap_accuracy(
    net: MiniCLIPNet, scenes: list, image_emb: torch.Tensor, attribute: str, embed_texts: Any
) -> float:
    """How often a scene's caption outscores the caption with ``attribute`` of its first two
    objects (reading order) swapped, over scenes where the swap changes the caption."""
    keep, swapped = [], []
    for i, scene in enumerate(scenes):
        objects = scene.ordered()
        if len(objects) < 2 or getattr(objects[0], attribute) == getattr(objects[1], attribute):
            continue
        keep.append(i)
        swapped.append(caption(swap_attribute(scene, 0, 1, attribute)))
    if not keep:
        return float("nan")
    true = net.map_texts(embed_texts([caption(scenes[i]) for i in keep]))
    false = net.map_texts(embed_texts(swapped))
    images = image_emb[keep]
    return float(((images * true).sum(1) > (images * false).sum(1)).float().mean())
