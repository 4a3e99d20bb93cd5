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

Run with ``invbench zoo train mini-clip``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from invbench.contracts.errors import InvbenchError
from invbench.models.zoo.mini_clip import ARCHITECTURE, MiniCLIPNet
from invbench.recipes.mini_clip_data import Pool, build_pool
from invbench.recipes.mini_clip_quality import retrieval_quality
from invbench.recipes.settings import override_dataclass
from invbench.recipes.training_loop import (
    LoopOutcome,
    Optimiser,
    adamw,
    run_training,
    training_session,
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


def lr_schedule(step: int, s: Settings) -> float:
    """Linear warmup to ``lr``, then cosine decay to ``min_lr_fraction`` of it."""
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


class Batches:
    """Batches of the pool in seeded per-epoch permutations, one jitter variant drawn per
    scene; the loss of each under ``net``."""

    def __init__(self, pool: Pool, settings: Settings, rng: np.random.Generator) -> None:
        self.pool, self.settings, self.rng = pool, settings, rng
        self.n = pool.caption_ids.numel()
        self.order = rng.permutation(self.n)
        self.cursor = 0

    def loss(self, net: MiniCLIPNet) -> torch.Tensor:
        s, pool = self.settings, self.pool
        if self.cursor + s.batch_size > self.n:
            self.order, self.cursor = self.rng.permutation(self.n), 0
        idx = torch.from_numpy(self.order[self.cursor : self.cursor + s.batch_size])
        self.cursor += s.batch_size
        variant = torch.from_numpy(self.rng.integers(0, s.jitter_variants, size=len(idx)))
        pixels = pool.images[variant, idx].float().div_(255.0)
        ids = pool.caption_ids[idx]
        image_emb = net.embed_images(pixels)
        text_emb = net.map_texts(pool.embeddings[ids])
        negative_ids = pool.negative_ids[idx]
        negative_emb = None
        if s.hard_negatives:
            negative_emb = net.map_texts(pool.embeddings[negative_ids.clamp(min=0)])
        return contrastive_loss(
            image_emb, text_emb, ids, net.logit_scale.exp(), negative_emb, negative_ids
        )


def fit(
    settings: Settings, seed: int = 0, data_seed: int | None = None, use_cache: bool = True,
    progress: bool = True,
) -> tuple[MiniCLIPNet, LoopOutcome, dict[str, Any]]:
    """Build the data pool and train; return the network, the loop's outcome and the data
    facts the manifest records."""
    s = settings
    data_seed = seed if data_seed is None else data_seed
    started = time.perf_counter()
    pool = build_pool(s.train_scenes, s.jitter_variants, s.hard_negatives, data_seed,
                      use_cache, progress)
    data_seconds = time.perf_counter() - started
    torch.manual_seed(seed)  # after the pool: the weights do not depend on how it was built
    rng = np.random.default_rng([seed, 1])
    net = MiniCLIPNet(
        s.widths, s.extra_convs, s.flat_channels, s.d_feat, s.groups, temperature=s.temperature
    )
    optimizer = adamw(net, s.lr, s.weight_decay,
                      exempt=lambda n, p: p.ndim < 2 or "text_map" in n)
    batches = Batches(pool, s, rng)

    def step_loss(step: int) -> tuple[torch.Tensor, dict[str, str]]:
        loss = batches.loss(net)
        return loss, {"loss": f"{loss.item():.3f}", "scale": f"{net.logit_scale.exp():.1f}"}

    def clamp_scale() -> None:
        with torch.no_grad():
            net.logit_scale.clamp_(max=math.log(s.max_logit_scale))

    optimiser = Optimiser(net, optimizer, lambda step: lr_schedule(step, s), s.grad_clip,
                          after_step=clamp_scale)
    outcome = run_training("mini-clip", s.steps, step_loss, optimiser, started=started,
                           progress=progress)
    net.eval()
    facts = {"data_seconds": round(data_seconds, 1),
             "caption_embeddings_from_cache": pool.captions_from_cache,
             "train_pairs": batches.n,
             "distinct_train_captions": int(pool.caption_ids.max()) + 1,
             "hard_negative_captions": int(pool.embeddings.shape[0] - pool.caption_ids.max() - 1),
             "pairs_with_hard_negative": int((pool.negative_ids >= 0).sum())}
    return net, outcome, facts


def training_stats(settings: Settings, outcome: LoopOutcome, facts: dict[str, Any],
                   eval_seconds: float, net: MiniCLIPNet) -> dict[str, Any]:
    """The manifest's ``training`` (the recipe's own layout, kept from the shipped manifest)."""
    return {
        "seconds": round(outcome.seconds + eval_seconds, 1),
        "data_seconds": facts["data_seconds"],
        "caption_embeddings_from_cache": facts["caption_embeddings_from_cache"],
        "train_seconds": round(outcome.seconds - facts["data_seconds"], 1),
        "steps": outcome.steps,
        "images_seen": outcome.steps * settings.batch_size,
        **{k: facts[k] for k in ("train_pairs", "distinct_train_captions",
                                 "hard_negative_captions", "pairs_with_hard_negative")},
        "final_loss": round(float(np.mean(outcome.losses[-50:])), 4),
        "final_logit_scale": round(net.logit_scale.exp().item(), 2),
        "eval_seconds": round(eval_seconds, 1),
    }


def train(
    out_dir: Path | None = None, seed: int = 0, name: str = "mini-clip",
    minutes: float | None = None, quick: bool = False, **overrides: Any,
) -> dict[str, Any]:
    """Train mini-CLIP, measure retrieval on held-out test pairs and write the zoo folder.

    ``quick`` trains a few steps on a tiny pool into a temporary folder (for tests);
    ``overrides`` change fields of :class:`Settings`. Returns the manifest.
    """
    from invbench.recipes.catalog import recipe_command, save_zoo_model
    from invbench.recipes.settings import output_folder

    if minutes is not None:
        raise InvbenchError("mini-clip: its recipe has no time cap (leave out --minutes)")
    settings = override_dataclass(QUICK if quick else Settings(), overrides)
    out_dir = output_folder(out_dir, name, quick)
    with training_session(settings.threads, deterministic=False):
        net, outcome, facts = fit(settings, seed=seed, use_cache=not quick, progress=not quick)
        eval_started = time.perf_counter()
        quality = retrieval_quality(
            net, settings.eval_seed, settings.eval_groups, settings.eval_group_size
        )
        recipe = {
            "command": recipe_command(name),
            "seed": seed,
            "data_seed": seed,
            "settings": {**asdict(settings), "quick": quick},
            "train_split": "train",
            "text_encoder": "all-MiniLM-L6-v2 (frozen)",
        }
        return save_zoo_model(
            out_dir,
            name=name,
            architecture=ARCHITECTURE,
            config=dict(net.config),
            state_dict=net.state_dict(),
            recipe=recipe,
            quality=quality,
            training=training_stats(settings, outcome, facts,
                                    time.perf_counter() - eval_started, net),
        )
