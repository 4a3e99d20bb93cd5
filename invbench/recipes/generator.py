"""Train the Shapes-world text-to-image generator (the ``generator`` zoo recipe).

A rectified flow (``invbench.models.zoo.generator_net``, predicting the clean image) learns to draw
the canonical layout of a caption (``invbench.worlds.canonical_layout``) at 32×32 from frozen
MiniLM token states. The
training pool is the first ``pool_captions`` distinct train-split captions: their 32×32 images
(the 64×64 render, 2×2 average-pooled) and MiniLM token states are computed once, then visited in
seeded per-epoch permutations; each step draws fresh noise and times (half on the sampler's own
Euler grid, half uniform). Weights are an exponential moving average of the trained ones.

Quality is the share of distinct test-split captions (never seen in training) whose generated
image (seed-0 noise, ``sample_steps`` Euler steps, bicubic to 64×64) the *judge* captioner
captions exactly; the captioner under inversion is reported beside it. Same seed, same machine:
bit-identical weights.

    invbench zoo train generator
    invbench zoo train generator --out /tmp/g --set steps=500   # experiments
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from invbench.models.zoo.generator_net import (
    ARCHITECTURE,
    GeneratorConfig,
    GeneratorNet,
    initial_noise,
    sample,
)
from invbench.recipes.catalog import save_zoo_model
from invbench.recipes.settings import (
    learning_rate,
    output_folder,
    recipe_record,
    resolve_settings,
)
from invbench.recipes.training_loop import (
    LoopOutcome,
    Optimiser,
    adamw,
    run_training,
    training_session,
)
from invbench.worlds.canonical_layout import canonical_scene
from invbench.worlds.shapes import caption, render, split_scenes, take_scenes

SETTINGS: dict[str, Any] = {
    "steps": 6000,
    "batch_size": 64,
    "pool_captions": 24000,
    "lr": 1e-3,
    "min_lr": 1e-5,
    "warmup_steps": 200,
    "weight_decay": 0.01,
    "grad_clip": 1.0,
    "ema": 0.999,
    "grid_time_share": 0.5,
    "threads": 2,
    "val_every": 500,
    "val_captions": 200,
    "test_captions": 500,
    "noise_seed": 0,
}
QUICK: dict[str, Any] = {
    "steps": 4,
    "batch_size": 8,
    "pool_captions": 16,
    "warmup_steps": 2,
    "val_every": 4,
    "val_captions": 4,
    "test_captions": 4,
}


def image_32(scene) -> torch.Tensor:
    """The canonical render average-pooled to ``(3, 32, 32)`` in [-1, 1]."""
    pixels = torch.from_numpy(render(canonical_scene(scene))).permute(2, 0, 1).float() / 255.0
    return F.avg_pool2d(pixels[None], 2)[0] * 2 - 1


def text_states(captions: list[str], batch_size: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """MiniLM token states ``(N, T, 384)`` (float16) and masks ``(N, T)`` padded to one T."""
    from invbench.models.minilm import load_minilm

    minilm = load_minilm()
    longest = max(len(ids) for ids in minilm.tokenizer(captions)["input_ids"])
    states = torch.zeros((len(captions), longest, 384), dtype=torch.float16)
    masks = torch.zeros((len(captions), longest), dtype=torch.bool)
    with torch.no_grad():
        for start in range(0, len(captions), batch_size):
            chunk_states, chunk_mask = minilm.token_states(captions[start : start + batch_size])
            t = chunk_states.shape[1]
            states[start : start + len(chunk_states), :t] = chunk_states.half()
            masks[start : start + len(chunk_states), :t] = chunk_mask.bool()
    return states, masks


class CaptionPool:
    """The first ``size`` distinct train captions with their 32×32 images and token states."""

    def __init__(self, data_seed: int, size: int, batch_size: int) -> None:
        from tqdm import tqdm

        stream = split_scenes("train", seed=data_seed)
        seen: dict[str, torch.Tensor] = {}
        with tqdm(total=size, desc="render training captions", unit="caption") as bar:
            while len(seen) < size:
                scene = next(stream)
                text = caption(scene)
                if text not in seen:
                    seen[text] = image_32(scene).half()
                    bar.update()
        self.captions = list(seen)
        self.images = torch.stack(list(seen.values()))
        self.states, self.masks = text_states(self.captions)
        self.batch_size = batch_size
        self.rng = np.random.default_rng(data_seed)
        self.order: list[int] = []

    def batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if len(self.order) < self.batch_size:
            self.order += self.rng.permutation(len(self.captions)).tolist()
        index, self.order = self.order[: self.batch_size], self.order[self.batch_size :]
        return self.images[index].float(), self.states[index].float(), self.masks[index]


def generate(net: GeneratorNet, captions: list[str], noise_seed: int, batch: int = 100):
    """``(N, 3, 64, 64)`` images in [0, 1] for ``captions`` from the seed's noise."""
    out = []
    with torch.no_grad():
        for start in range(0, len(captions), batch):
            states, masks = text_states(captions[start : start + batch])
            noise = initial_noise(noise_seed, len(states), net.config.resolution)
            out.append(sample(net, states.float(), masks, noise))
    return torch.cat(out)


def caption_accuracy(net: GeneratorNet, captions: list[str], noise_seed: int) -> dict[str, float]:
    """Exact-caption rate of the judge and of the captioner on the generated images."""
    from invbench.models.zoo.shapes_captioner import ShapesCaptioner

    net.eval()
    images = generate(net, captions, noise_seed)
    scores = {}
    for name in ("captioner-judge", "captioner"):
        predicted = ShapesCaptioner(name).caption_images(images)
        scores[name] = sum(p == c for p, c in zip(predicted, captions, strict=True)) / len(captions)
    return scores


def distinct_captions(split: str, count: int) -> list[str]:
    return [caption(s) for s in take_scenes(split, count, seed=0, unique=True)]


def flow_times(batch: int, settings: dict[str, Any], steps: int, generator) -> torch.Tensor:
    """Half (``grid_time_share``) on the sampler's Euler grid, the rest uniform in [0, 1)."""
    uniform = torch.rand(batch, generator=generator)
    grid = torch.randint(0, steps, (batch,), generator=generator).float() / steps
    on_grid = torch.rand(batch, generator=generator) < settings["grid_time_share"]
    return torch.where(on_grid, grid, uniform)


def fit(
    settings: dict[str, Any], config: GeneratorConfig, seed: int, name: str,
    minutes: float | None,
) -> tuple[GeneratorNet, LoopOutcome, float]:
    """Build the caption pool and train; return the weight average, the loop's outcome and the
    seconds the pool took."""
    generator = torch.Generator().manual_seed(seed)
    net = GeneratorNet(config)
    ema = copy.deepcopy(net).requires_grad_(False)
    optimizer = adamw(net, settings["lr"], settings["weight_decay"])
    val_captions = distinct_captions("validation", settings["val_captions"])
    started = time.perf_counter()
    pool = CaptionPool(seed, settings["pool_captions"], settings["batch_size"])
    pool_seconds = time.perf_counter() - started

    def step_loss(step: int) -> tuple[torch.Tensor, dict[str, str]]:
        images, states, masks = pool.batch()
        noise = torch.randn(images.shape, generator=generator)
        t = flow_times(len(images), settings, config.sample_steps, generator)
        x_t = (1 - t)[:, None, None, None] * noise + t[:, None, None, None] * images
        loss = F.mse_loss(net(x_t, t, states, masks), images)
        return loss, {"loss": f"{loss.item():.4f}"}

    def validate(steps: int) -> tuple[dict[str, Any], str]:
        scores = caption_accuracy(ema, val_captions, settings["noise_seed"])
        return {"step": steps, "validation_exact": scores}, f"validation exact captions {scores}"

    optimiser = Optimiser(net, optimizer, lambda step: learning_rate(step, settings),
                          settings["grad_clip"], ema=ema, ema_decay=settings["ema"])
    outcome = run_training(name, settings["steps"], step_loss, optimiser, started=started,
                           minutes=minutes, val_every=settings["val_every"], validate=validate)
    return ema, outcome, pool_seconds


def train(
    out_dir: Path | None = None,
    seed: int = 0,
    name: str = "generator",
    minutes: float | None = None,
    quick: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """Train the generator and write it to ``out_dir`` (default ``data/models/<name>``)."""
    settings, config = resolve_settings(SETTINGS, QUICK, GeneratorConfig, quick, overrides)
    out_dir = output_folder(out_dir, name, quick)
    with training_session(settings["threads"]):
        torch.manual_seed(seed)
        ema, outcome, pool_seconds = fit(settings, config, seed, name, minutes)
        test_captions = distinct_captions("test", settings["test_captions"])
        scores = caption_accuracy(ema, test_captions, settings["noise_seed"])
        manifest = save_zoo_model(
            out_dir,
            name=name,
            architecture=ARCHITECTURE,
            config=config.to_dict(),
            state_dict=ema.state_dict(),
            recipe=recipe_record(name, "invbench.recipes.generator:train", seed, seed, quick,
                                 minutes, settings, config),
            quality={
                "judge_exact_caption_rate": scores["captioner-judge"],
                "captioner_exact_caption_rate": scores["captioner"],
                "test_captions": len(test_captions),
                "split": "test",
                "noise_seed": settings["noise_seed"],
                "validation": outcome.history,
            },
            training=outcome.training_record(settings["batch_size"],
                                             pool_seconds=round(pool_seconds, 1)),
        )
    print(
        f"{name}: judge exact captions {scores['captioner-judge']:.4f} on "
        f"{len(test_captions)} test captions, {outcome.seconds / 60:.1f} min -> {out_dir}"
    )
    return manifest
