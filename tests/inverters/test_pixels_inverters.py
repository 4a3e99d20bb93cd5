"""The captioner-family inverters: pixels-adam, pixels-perturb, and noise/reference on images.

Most tests use ``ToyCaptioner`` (a real, differentiable colour namer) so they do not depend on
trained weights; the last one runs pixels-adam on the shipped Shapes captioner when its weights
exist.
"""

from __future__ import annotations

import dataclasses
import time

import pytest
import torch
from toy_captioner import ToyCaptioner

from invbench.contracts import (
    Budget,
    Image,
    InvbenchError,
    InversionProblem,
    Target,
    Waveform,
)
from invbench.fs.shipped import resource_dir
from invbench.inverters.noise import Noise
from invbench.inverters.pixels_adam import PixelsAdam
from invbench.inverters.pixels_perturb import PixelsPerturb
from invbench.inverters.reference import Reference

CAPTIONS = ("a red image", "a green image", "a blue image")
SHAPE = (3, 64, 64)


def flat(rgb: tuple[float, float, float], seed: int = 0) -> Image:
    """A flat colour with a little texture, as a carrier: a natural-ish image of one colour."""
    texture = 0.05 * torch.rand(SHAPE, generator=torch.Generator().manual_seed(seed))
    return Image((torch.tensor(rgb).view(3, 1, 1) + texture).clamp(0, 1))


def problem(
    captions=CAPTIONS,
    ids=None,
    budget: Budget | None = None,
    model=None,
    seed: int = 0,
    **extra,
) -> InversionProblem:
    ids = ids or [f"t{k}" for k in range(len(captions))]
    return InversionProblem(
        task="captioner/toy",
        family="captioner",
        targets=[Target(i, {"text": c}) for i, c in zip(ids, captions, strict=True)],
        forward=model or ToyCaptioner(),
        budget=budget or Budget(max_steps=300),
        seed=seed,
        **extra,
    )


def carriers() -> list[Image]:
    # each target's carrier is tinted with another target's colour (blue for red, ...)
    return [flat((0.4, 0.4, 0.6)), flat((0.6, 0.4, 0.4)), flat((0.4, 0.6, 0.4))]


def check_images(inversions) -> None:
    for inv in inversions:
        assert isinstance(inv.x, Image) and tuple(inv.x.pixels.shape) == SHAPE
        assert inv.x.pixels.dtype == torch.float32
        assert float(inv.x.pixels.min()) >= 0.0 and float(inv.x.pixels.max()) <= 1.0


@pytest.mark.parametrize("inverter", [PixelsAdam(), PixelsPerturb()], ids=lambda v: v.name)
def test_reaches_every_target_and_stays_in_range(inverter):
    model = ToyCaptioner()
    p = problem(model=model, carriers=carriers())
    inversions = inverter.invert(p)
    check_images(inversions)
    assert model.run([inv.x for inv in inversions]) == list(CAPTIONS)
    for inv in inversions:
        assert inv.info["reached_target"] and 1 < inv.steps == len(inv.loss_trace)
    if inverter.name == "pixels-adam":  # stops once confirmed, long before its 300 steps
        assert all(inv.info["stopped_early"] and inv.steps < 50 for inv in inversions)


@pytest.mark.parametrize("inverter", [PixelsAdam(), PixelsPerturb(steps=60)], ids=lambda v: v.name)
def test_batch_size_never_changes_a_result(inverter):
    # "a grey image" is what noise already shows: that item stops first, and freezing it must
    # not change its batch-mates' trajectories.
    captions = ("a red image", "a grey image", "a blue image")
    together = inverter.invert(problem(captions, carriers=carriers()))
    for k, caption in enumerate(captions):
        alone = inverter.invert(problem([caption], ids=[f"t{k}"], carriers=[carriers()[k]]))[0]
        assert torch.equal(alone.x.pixels, together[k].x.pixels), caption
        assert alone.loss_trace == together[k].loss_trace
    if inverter.name == "pixels-adam":
        assert len({inv.steps for inv in together}) > 1


def test_max_steps_caps_the_optimisation():
    model = ToyCaptioner()
    p = problem(model=model, budget=Budget(max_steps=3))
    inversions = PixelsAdam(confirm_steps=10_000).invert(p)
    assert [inv.steps for inv in inversions] == [3, 3, 3]
    assert model.calls.forward == 9 and model.calls.backward == 9
    check_images(inversions)


def test_forward_call_and_time_budgets_stop_the_loop():
    model = ToyCaptioner()
    p = problem(model=model, budget=Budget(max_steps=300, max_forward_calls=5))
    assert [inv.steps for inv in PixelsAdam(confirm_steps=10_000).invert(p)] == [5, 5, 5]

    class Slow(ToyCaptioner):
        def _objective(self, x, targets, **options):
            time.sleep(0.02)
            return super()._objective(x, targets, **options)

    p = problem(model=Slow(), budget=Budget(max_steps=300, max_seconds=0.1), carriers=carriers())
    steps = [inv.steps for inv in PixelsPerturb(steps=300).invert(p)]
    assert all(1 <= s < 30 for s in steps), steps


def test_perturb_stays_closer_to_its_carrier_than_adam():
    adam = PixelsAdam().invert(problem())
    perturbed = PixelsPerturb().invert(problem(carriers=carriers()))
    for a, b, carrier in zip(adam, perturbed, carriers(), strict=True):
        assert b.carrier is not None and torch.equal(b.carrier.pixels, carrier.pixels)
        assert b.info["reached_target"]
        near = (b.x.pixels - carrier.pixels).norm()
        far = (a.x.pixels - carrier.pixels).norm()
        assert near < far / 2, (float(near), float(far))


def test_perturb_without_carriers_names_the_task():
    with pytest.raises(InvbenchError, match="captioner/toy.*offers none|carrier.*captioner/toy"):
        PixelsPerturb().invert(problem())


def test_reference_returns_the_hidden_rendering_per_family():
    images = carriers()
    inversions = Reference().invert(problem(hidden=[{"image": im} for im in images]))
    assert [inv.x for inv in inversions] == images
    wave = Waveform(torch.zeros(160), 16000)
    asr = InversionProblem(
        task="asr/x",
        family="asr",
        targets=[Target("a", {"text": "hi"})],
        forward=None,
        budget=Budget(),
        seed=0,
        hidden=[{"audio": wave}],
    )
    assert Reference().invert(asr)[0].x is wave
    text_only = dataclasses.replace(asr, task="asr/paper", hidden=[{}])  # no reference audio
    with pytest.raises(InvbenchError, match="asr/paper's targets have no hidden reference 'audio'"):
        Reference().invert(text_only)


def test_noise_images_are_seeded_per_target():
    first = Noise().invert(problem(ids=["a", "b", "c"]))
    check_images(first)
    again = Noise().invert(problem(CAPTIONS[:1], ids=["a"]))[0]
    assert torch.equal(first[0].x.pixels, again.x.pixels)
    assert not torch.equal(first[0].x.pixels, first[1].x.pixels)
    other_seed = Noise().invert(problem(CAPTIONS[:1], ids=["a"], seed=1))[0]
    assert not torch.equal(first[0].x.pixels, other_seed.x.pixels)


CAPTIONER = resource_dir("data") / "models" / "captioner" / "manifest.json"


@pytest.mark.slow
def test_pixels_adam_inverts_the_shapes_captioner():
    assert CAPTIONER.is_file(), f"{CAPTIONER} is committed in the repository but missing"
    from invbench.models.zoo.shapes_captioner import ShapesCaptioner
    from invbench.worlds.shapes import caption, take_scenes

    torch.set_num_threads(2)
    model = ShapesCaptioner("captioner")
    captions = [caption(scene) for scene in take_scenes("test", 2, unique=True)]
    p = problem(captions, model=model, budget=Budget(max_steps=300, max_seconds=60))
    inversions = PixelsAdam().invert(p)
    check_images(inversions)
    assert model.run([inv.x for inv in inversions]) == captions
    assert all(inv.info["reached_target"] for inv in inversions)
