"""Recipe for ``mini-clip``: a Shapes image encoder aligned to frozen all-MiniLM-L6-v2.

LiT-style contrastive training (the text tower is locked): a pool of training-split scenes is
rendered and its captions encoded by MiniLM once (the encodings are cached under
``invbench.fs.cache.cache_dir()`` keyed by the captions and the MiniLM weights, but the recipe
runs from scratch too). Each step draws a batch of scenes and minimises the symmetric InfoNCE
loss (image -> text and text -> image, in-batch negatives) between the image tower's embeddings
and the MiniLM embeddings passed through the learned affine text map; scenes in the batch that
share a caption (common for one-object scenes) are not counted as each other's negatives. Each
scene has ``jitter_variants`` renders with independently drawn object jitter (the caption does
not depend on jitter), one picked at random per draw.

Hard negatives: MiniLM barely separates captions that differ only in attribute binding ("a red
circle left of a blue square" vs "a blue circle left of a red square"), so each scene with two
or more objects also gets one *swapped* caption (a colour, shape or size exchanged between two of
its objects, drawn once from the data seed) as an extra image -> text negative. Only swapped
captions that belong to the train split are used, so no test caption enters training in any role.

Quality is text retrieval among held-out test-split pairs: for each of 100 test scenes with
distinct captions (captions never seen in training, ``take_scenes("test", ...)``), is its own
caption the best-scoring of the 100? Recorded: R@1 and R@5 image -> text and R@1 text -> image on
the first group of 100, the mean R@1 over ``eval_groups`` disjoint groups of 100, and binding
accuracy (how often an image's caption outscores the caption with the colours, or the shapes, of
its first two objects swapped).

Run with ``invbench zoo train mini-clip`` or ``python -m invbench.recipes.mini_clip``.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from invbench.models.zoo.mini_clip import ARCHITECTURE, MiniCLIPNet
from invbench.recipes.mini_clip_data import build_pool, render_batch, swap_attribute
from invbench.worlds.shapes import (
    caption,
    take_scenes,
)


@dataclass(frozen=True)
class Settings:
    """Every hyperparameter of the recipe (recorded in the manifest)."""

    train_scenes: int = 20_000
    jitter_variants: int = 2
    steps: int = 1_000
    batch_size: int = 256
    lr: float = 2e-3
    min_lr_fraction: float = 0.02
    warmup_steps: int = 100
    weight_decay: float = 0.05
    grad_clip: float = 1.0
    max_logit_scale: float = 100.0
    widths: tuple[int, ...] = (32, 64, 96, 128)
    extra_convs: int = 1
    flat_channels: int = 64
    d_feat: int = 256
    groups: int = 8
    temperature: float = 0.07
    hard_negatives: bool = True
    eval_seed: int = 0
    eval_groups: int = 5
    eval_group_size: int = 100
    threads: int = 2


QUICK = Settings(
    train_scenes=256,
    jitter_variants=1,
    steps=4,
    batch_size=32,
    warmup_steps=1,
    eval_groups=1,
)


def default_out_dir(name: str) -> Path:
    from invbench.fs.shipped import resource_dir

    return resource_dir("data") / "models" / name


# ---------------------------------------------------------------- data


@torch.no_grad()
def retrieval_quality(
    net: MiniCLIPNet,
    seed: int = 0,
    groups: int = 5,
    group_size: int = 100,
    embed_texts=None,
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


def _swap_accuracy(net, scenes, image_emb, attribute: str, embed_texts) -> float:
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


# ---------------------------------------------------------------- training


def _lr_at(step: int, s: Settings) -> float:
    if step < s.warmup_steps:
        return s.lr * (step + 1) / s.warmup_steps
    progress = (step - s.warmup_steps) / max(1, s.steps - s.warmup_steps)
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return s.lr * (s.min_lr_fraction + (1.0 - s.min_lr_fraction) * cosine)


def contrastive_loss(
    image_emb: torch.Tensor,
    text_emb: torch.Tensor,
    caption_ids: torch.Tensor,
    scale: torch.Tensor,
    negative_emb: torch.Tensor | None = None,
    negative_ids: torch.Tensor | None = None,
) -> torch.Tensor:
    """Symmetric InfoNCE with in-batch negatives; pairs that share a caption are not counted as
    each other's negatives. ``negative_emb`` (one per pair, ``negative_ids`` -1 where absent) are
    extra image -> text negatives: captions with two objects' attributes swapped."""
    logits = scale * image_emb @ text_emb.T
    same = caption_ids[:, None] == caption_ids[None, :]
    same.fill_diagonal_(False)
    logits = logits.masked_fill(same, float("-inf"))
    target = torch.arange(len(logits))
    text_to_image = F.cross_entropy(logits.T, target)
    if negative_emb is not None and negative_ids is not None:
        extra = scale * image_emb @ negative_emb.T
        invalid = (negative_ids[None, :] < 0) | (negative_ids[None, :] == caption_ids[:, None])
        logits = torch.cat([logits, extra.masked_fill(invalid, float("-inf"))], dim=1)
    return 0.5 * (F.cross_entropy(logits, target) + text_to_image)


def fit(
    settings: Settings,
    seed: int = 0,
    data_seed: int | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> tuple[MiniCLIPNet, dict[str, Any]]:
    """Build the data pool and train; return the network and training statistics."""
    from tqdm.auto import tqdm

    s = settings
    data_seed = seed if data_seed is None else data_seed
    torch.set_num_threads(s.threads)
    started = time.perf_counter()
    pool = build_pool(s, data_seed, use_cache, progress)
    data_seconds = time.perf_counter() - started

    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 1])
    net = MiniCLIPNet(
        s.widths, s.extra_convs, s.flat_channels, s.d_feat, s.groups, temperature=s.temperature
    )
    decay = [p for n, p in net.named_parameters() if p.ndim >= 2 and "text_map" not in n]
    other = [p for n, p in net.named_parameters() if not (p.ndim >= 2 and "text_map" not in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": s.weight_decay}, {"params": other, "weight_decay": 0}],
        lr=s.lr,
    )
    n = pool.caption_ids.numel()
    order = rng.permutation(n)
    cursor = 0
    losses = []
    net.train()
    bar = tqdm(range(s.steps), desc="mini-clip", unit="step", disable=not progress)
    for step in bar:
        if cursor + s.batch_size > n:
            order, cursor = rng.permutation(n), 0
        idx = torch.from_numpy(order[cursor : cursor + s.batch_size])
        cursor += s.batch_size
        variant = torch.from_numpy(rng.integers(0, s.jitter_variants, size=len(idx)))
        pixels = pool.images[variant, idx].float().div_(255.0)
        ids = pool.caption_ids[idx]
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(step, s)
        image_emb = net.embed_images(pixels)
        text_emb = net.map_texts(pool.embeddings[ids])
        negative_ids = pool.negative_ids[idx]
        negative_emb = None
        if s.hard_negatives:
            negative_emb = net.map_texts(pool.embeddings[negative_ids.clamp(min=0)])
        loss = contrastive_loss(
            image_emb, text_emb, ids, net.logit_scale.exp(), negative_emb, negative_ids
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), s.grad_clip)
        optimizer.step()
        with torch.no_grad():
            net.logit_scale.clamp_(max=math.log(s.max_logit_scale))
        losses.append(loss.item())
        if step % 20 == 0 or step == s.steps - 1:
            bar.set_postfix(
                loss=f"{np.mean(losses[-20:]):.3f}", scale=f"{net.logit_scale.exp():.1f}"
            )
    net.eval()
    stats = {
        "seconds": round(time.perf_counter() - started, 1),
        "data_seconds": round(data_seconds, 1),
        "caption_embeddings_from_cache": pool.captions_from_cache,
        "train_seconds": round(time.perf_counter() - started - data_seconds, 1),
        "steps": s.steps,
        "images_seen": s.steps * s.batch_size,
        "train_pairs": n,
        "distinct_train_captions": int(pool.caption_ids.max()) + 1,
        "hard_negative_captions": int(pool.embeddings.shape[0] - pool.caption_ids.max() - 1),
        "pairs_with_hard_negative": int((pool.negative_ids >= 0).sum()),
        "final_loss": round(float(np.mean(losses[-50:])), 4),
        "final_logit_scale": round(net.logit_scale.exp().item(), 2),
    }
    return net, stats


def train(
    out_dir: Path | None = None, seed: int = 0, name: str = "mini-clip", quick: bool = False
) -> dict:
    """Train mini-CLIP, measure retrieval on held-out test pairs and write the zoo folder.

    ``quick`` trains a few steps on a tiny pool into a temporary folder (for tests).
    Returns the manifest.
    """
    from invbench.recipes.catalog import recipe_command, save_zoo_model

    settings = QUICK if quick else Settings()
    if out_dir is None:
        out_dir = Path(tempfile.mkdtemp(prefix="mini-clip-")) if quick else default_out_dir(name)
    net, stats = fit(settings, seed=seed, use_cache=not quick, progress=not quick)
    eval_started = time.perf_counter()
    quality = retrieval_quality(
        net, settings.eval_seed, settings.eval_groups, settings.eval_group_size
    )
    stats["eval_seconds"] = round(time.perf_counter() - eval_started, 1)
    stats["seconds"] = round(stats["seconds"] + stats["eval_seconds"], 1)
    recipe = {
        "command": recipe_command(name),
        "seed": seed,
        "data_seed": seed,
        "settings": {**asdict(settings), "quick": quick},
        "train_split": "train",
        "text_encoder": "all-MiniLM-L6-v2 (frozen)",
    }
    return save_zoo_model(
        Path(out_dir),
        name=name,
        architecture=ARCHITECTURE,
        config=dict(net.config),
        state_dict=net.state_dict(),
        recipe=recipe,
        quality=quality,
        training=stats,
    )


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="mini-clip")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    manifest = train(args.out_dir, seed=args.seed, name=args.name, quick=args.quick)
    print(json.dumps({"quality": manifest["quality"], "training": manifest["training"]}, indent=2))


if __name__ == "__main__":
    main()
