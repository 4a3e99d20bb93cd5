"""Train a Shapes-world captioner (the ``captioner`` / ``captioner-judge`` zoo recipes).

Deterministic on a CPU: fixed seeds, a fixed thread count, a fixed number of steps, and a fixed
data order: the first ``pool_scenes`` scenes of ``split_scenes("train", seed=data_seed)`` are
rendered once (rendering costs about as much as a training step) and visited in seeded per-epoch
permutations, in the main process (no data-loader workers). Validation uses the validation split;
the recorded quality is the exact caption accuracy (greedy caption string equals the true
caption) on test-split renders, whose captions training never sees. Same seed, same machine:
bit-identical weights.

    invbench zoo train captioner          # seed 0; `captioner-judge` is the seed-1 run
    invbench zoo train captioner --out /tmp/c --set steps=500   # experiments
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from invbench.models.zoo.shapes_captioner import (
    ARCHITECTURE,
    CaptionerConfig,
    CaptionerNet,
    caption_loss,
    teacher_forcing,
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
from invbench.worlds.shapes import caption, render, split_scenes, take_scenes

SETTINGS: dict[str, Any] = {
    "steps": 2000,
    "batch_size": 64,
    "pool_scenes": 32000,
    "lr": 2e-3,
    "min_lr": 2e-5,
    "warmup_steps": 200,
    "weight_decay": 0.05,
    "grad_clip": 1.0,
    "threads": 2,
    "val_every": 500,
    "val_renders": 500,
    "val_seed": 0,
    "test_renders": 1000,
    "test_seed": 0,
}
QUICK: dict[str, Any] = {
    "steps": 4,
    "batch_size": 8,
    "pool_scenes": 32,
    "warmup_steps": 2,
    "val_every": 4,
    "val_renders": 8,
    "test_renders": 8,
}


def render_batch(scenes: list) -> torch.Tensor:
    """``(B, 3, 64, 64)`` float32 pixels in [0, 1] (same values as ``render_tensor``)."""
    pixels = np.stack([render(scene) for scene in scenes])
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).float().div(255.0)


class TrainingPool:
    """Training batches in a fixed order: with ``size`` > 0, the first ``size`` scenes of the
    train stream rendered once and visited in seeded per-epoch permutations; with ``size`` 0,
    fresh scenes from the stream rendered for every batch."""

    def __init__(self, data_seed: int, size: int, batch_size: int) -> None:
        from tqdm import tqdm

        self.stream = split_scenes("train", seed=data_seed)
        self.batch_size = batch_size
        self.rng = np.random.default_rng(data_seed)
        self.order: list[int] = []
        self.captions: list[str] = []
        self.pixels = torch.empty((size, 3, 64, 64), dtype=torch.uint8)
        for i in tqdm(range(size), desc="render training scenes", unit="scene"):
            scene = next(self.stream)
            self.captions.append(caption(scene))
            self.pixels[i] = torch.from_numpy(render(scene)).permute(2, 0, 1)

    def batch(self) -> tuple[torch.Tensor, list[str]]:
        if not len(self.pixels):
            scenes = [next(self.stream) for _ in range(self.batch_size)]
            return render_batch(scenes), [caption(s) for s in scenes]
        if len(self.order) < self.batch_size:
            self.order += self.rng.permutation(len(self.pixels)).tolist()
        index, self.order = self.order[: self.batch_size], self.order[self.batch_size :]
        return self.pixels[index].float().div(255.0), [self.captions[i] for i in index]


def exact_accuracy(net: CaptionerNet, scenes: list, batch_size: int = 250) -> float:
    """Fraction of ``scenes`` whose greedy caption equals the true caption."""
    net.eval()
    hits = 0
    for start in range(0, len(scenes), batch_size):
        chunk = scenes[start : start + batch_size]
        predicted = net.greedy(render_batch(chunk))
        hits += sum(p == caption(s) for p, s in zip(predicted, chunk, strict=True))
    net.train()
    return hits / len(scenes)


def fit(
    settings: dict[str, Any], config: CaptionerConfig, data_seed: int, name: str,
    minutes: float | None,
) -> tuple[CaptionerNet, LoopOutcome, float]:
    """Train a fresh network; return it, the loop's outcome and the seconds rendering took."""
    net = CaptionerNet(config)
    optimizer = adamw(net, settings["lr"], settings["weight_decay"],
                      exempt=lambda n, p: p.ndim < 2 or "pos" in n)
    val_scenes = take_scenes("validation", settings["val_renders"], seed=settings["val_seed"])
    started = time.perf_counter()
    pool = TrainingPool(data_seed, settings["pool_scenes"], settings["batch_size"])
    render_seconds = time.perf_counter() - started

    def step_loss(step: int) -> tuple[torch.Tensor, dict[str, str]]:
        pixels, captions = pool.batch()
        inputs, labels = teacher_forcing(captions)
        loss, exact = caption_loss(net(pixels, inputs), labels)
        return loss.mean(), {"loss": f"{loss.mean().item():.3f}",
                             "exact": f"{exact.float().mean():.2f}"}

    def validate(steps: int) -> tuple[dict[str, Any], str]:
        accuracy = exact_accuracy(net, val_scenes)
        return ({"step": steps, "validation_exact": accuracy},
                f"validation exact caption accuracy {accuracy:.3f}")

    optimiser = Optimiser(net, optimizer, lambda step: learning_rate(step, settings),
                          settings["grad_clip"])
    outcome = run_training(name, settings["steps"], step_loss, optimiser, started=started,
                           minutes=minutes, val_every=settings["val_every"], validate=validate)
    return net, outcome, render_seconds


def train(
    out_dir: Path | None = None,
    seed: int = 0,
    name: str = "captioner",
    minutes: float | None = None,
    quick: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """Train one captioner and write it to ``out_dir`` (default ``data/models/<name>``).

    ``minutes`` caps the wall time (the run then stops early and is not reproducible; the
    manifest says so); ``quick`` trains a few tiny steps into a temporary folder (for tests);
    ``overrides`` change entries of :data:`SETTINGS` or :class:`CaptionerConfig` fields.
    """
    settings, config = resolve_settings(SETTINGS, QUICK, CaptionerConfig, quick, overrides)
    out_dir = output_folder(out_dir, name, quick)
    with training_session(settings["threads"]):
        torch.manual_seed(seed)
        np.random.seed(seed)  # nothing here draws from it; fixed anyway
        net, outcome, render_seconds = fit(settings, config, seed, name, minutes)
        test_scenes = take_scenes("test", settings["test_renders"], seed=settings["test_seed"])
        accuracy = exact_accuracy(net, test_scenes)
        net.eval()
        manifest = save_zoo_model(
            out_dir,
            name=name,
            architecture=ARCHITECTURE,
            config=config.to_dict(),
            state_dict=net.state_dict(),
            recipe=recipe_record(name, "invbench.recipes.captioner:train", seed, seed, quick,
                                 minutes, settings, config),
            quality={
                "exact_caption_accuracy": accuracy,
                "test_renders": len(test_scenes),
                "split": "test",
                "test_seed": settings["test_seed"],
                "validation": outcome.history,
            },
            training=outcome.training_record(settings["batch_size"],
                                             render_seconds=round(render_seconds, 1)),
        )
    print(
        f"{name}: exact caption accuracy {accuracy:.4f} on {len(test_scenes)} test renders, "
        f"{outcome.seconds / 60:.1f} min -> {out_dir}"
    )
    return manifest
