"""The prompt inverters (soft-prompt, pez, random-tokens), reference on prompts, and the bridges.

Most tests use ``ToyTextModel`` (a real, differentiable text-input model with an image head and
an audio head, so the same inverter code is shown serving two families); the Shapes-generator
tests use quick-trained (untrained but valid) generator weights, and captioner-bridge the shipped
captioner.
"""

from __future__ import annotations

import ast
import inspect
import time
from pathlib import Path

import pytest
import torch
from toy_captioner import ToyCaptioner
from toy_text_model import ToyTextModel

from invbench.contracts import (
    Budget,
    CallCounter,
    Image,
    InvbenchError,
    InversionProblem,
    Target,
    config_hash,
)
from invbench.contracts.text_input import Text, TextInputModel, nearest_tokens
from invbench.inverters import pez, prompt_loop, soft_prompt
from invbench.inverters.captioner_bridge import CaptionerBridge
from invbench.inverters.generator_bridge import GeneratorBridge
from invbench.inverters.pez import PEZ
from invbench.inverters.random_tokens import RandomTokens
from invbench.inverters.reference import Reference
from invbench.inverters.soft_prompt import SoftPrompt
from invbench.models.zoo.shapes_captioner import ShapesCaptioner
from invbench.models.zoo.shapes_generator import ShapesGenerator
from invbench.worlds.shapes import caption, render_tensor, take_scenes

PROMPTS = ("large red circle", "say hello world", "blue square on black background")
FAMILY = {"image": "generator", "audio": "tts"}


@pytest.fixture(scope="session")
def quick_generator_dir(tmp_path_factory) -> Path:
    from invbench.recipes.generator import train

    out = tmp_path_factory.mktemp("generator-quick")
    train(out_dir=out, quick=True)
    return out


@pytest.fixture(scope="session")
def quick_generator(quick_generator_dir: Path) -> ShapesGenerator:
    torch.set_num_threads(2)
    return ShapesGenerator(str(quick_generator_dir))


def toy_targets(model: ToyTextModel, prompts=PROMPTS, ids=None) -> list[Target]:
    ids = ids or [f"t{k}" for k in range(len(prompts))]
    outputs = model.run([Text(p) for p in prompts])
    return [Target(i, {model.kind: y}) for i, y in zip(ids, outputs, strict=True)]


def problem(
    model: TextInputModel | None = None,
    targets: list[Target] | None = None,
    budget: Budget | None = None,
    seed: int = 0,
    family: str | None = None,
    **extra,
) -> InversionProblem:
    model = model or ToyTextModel("image")
    return InversionProblem(
        task=f"{family or FAMILY.get(getattr(model, 'kind', ''), 'generator')}/toy",
        family=family or FAMILY.get(getattr(model, "kind", ""), "generator"),
        targets=targets if targets is not None else toy_targets(model),
        forward=model,
        budget=budget or Budget(max_steps=200),
        seed=seed,
        **extra,
    )


def objective_loss(model: TextInputModel, soft: torch.Tensor, target: Target) -> float:
    with torch.no_grad():
        return float(model.objective(soft[None], [target]).loss[0])


def allowed_ids(model: TextInputModel, ids: list[int]) -> bool:
    mask = model.prompt_token_mask
    return len(ids) > 0 and all(bool(mask[i]) for i in ids)


# ------------------------------------------------------------------ soft-prompt


@pytest.mark.parametrize("kind", ["image", "audio"])
def test_soft_prompt_lowers_the_objective_on_both_toy_families(kind):
    model = ToyTextModel(kind)
    p = problem(model)
    inversions = SoftPrompt(steps=60, length=4).invert(p)
    for inv, target in zip(inversions, p.targets, strict=True):
        assert isinstance(inv.x, Text) and inv.steps == len(inv.loss_trace) == 60
        best = inv.info["best_loss"]
        assert best == min(inv.loss_trace) and best < 0.5 * inv.loss_trace[0], inv.loss_trace
        # the returned soft prompt is the one that scored the best loss
        assert objective_loss(model, inv.soft_embeddings, target) == pytest.approx(best, rel=1e-6)
        assert inv.soft_embeddings.shape == (4, model.input_spec.embedding_dim)
        assert not inv.soft_embeddings.requires_grad and inv.soft_embeddings.device.type == "cpu"


def test_soft_prompt_lowers_the_objective_of_the_shapes_generator(quick_generator):
    scenes = take_scenes("test", 2)
    targets = [Target(f"s{k}", {"image": Image(render_tensor(s))}) for k, s in enumerate(scenes)]
    p = problem(quick_generator, targets, Budget(max_steps=4))
    inversions = SoftPrompt(steps=4, length=4).invert(p)
    for inv in inversions:
        assert inv.steps == 4 and inv.info["best_loss"] < inv.loss_trace[0], inv.loss_trace
        assert inv.soft_embeddings.shape == (4, 384) and len(inv.token_ids) == 4
        assert allowed_ids(quick_generator, inv.token_ids)
        assert isinstance(inv.x, Text) and inv.x.text == quick_generator.detokenize(inv.token_ids)


@pytest.mark.parametrize("kind", ["image", "audio"])
def test_soft_prompt_ids_are_the_nearest_allowed_tokens_of_its_soft_embeddings(kind):
    model = ToyTextModel(kind)
    for inv in SoftPrompt(steps=40, length=5).invert(problem(model)):
        ids, cosines = nearest_tokens(
            inv.soft_embeddings, model.token_embeddings, model.prompt_token_mask
        )
        assert inv.token_ids == ids.tolist() and allowed_ids(model, inv.token_ids)
        assert inv.x.text == model.detokenize(inv.token_ids)
        assert inv.info["nearest_cosine_mean"] == pytest.approx(float(cosines.mean()))
        assert inv.info["retokenizes_exactly"] == (model.tokenize([inv.x.text])[0] == ids.tolist())
        assert inv.info["retokenizes_exactly"]  # toy words re-tokenize exactly


# ------------------------------------------------------------------ pez


@pytest.mark.parametrize("kind", ["image", "audio"])
def test_pez_keeps_its_best_allowed_hard_prompt(kind):
    model = ToyTextModel(kind)
    p = problem(model)
    inversions = PEZ(steps=60, length=4).invert(p)
    for inv, target in zip(inversions, p.targets, strict=True):
        assert allowed_ids(model, inv.token_ids) and len(inv.token_ids) == 4
        assert inv.x.text == model.detokenize(inv.token_ids)
        best = inv.info["best_loss"]
        assert best == min(inv.loss_trace) < inv.loss_trace[0], inv.loss_trace
        # the loss was measured at the hard prompt: re-running its embeddings gives it back
        rerun = objective_loss(model, model.embed(inv.token_ids), target)
        assert rerun == pytest.approx(best, rel=1e-6, abs=1e-9)
        # the continuous prompt returned is the one whose projection was best
        ids, _ = nearest_tokens(inv.soft_embeddings, model.token_embeddings,
                                model.prompt_token_mask)
        assert ids.tolist() == inv.token_ids
        assert not torch.equal(inv.soft_embeddings, model.embed(inv.token_ids))


# ------------------------------------------------------------------ batching, budget, stopping


@pytest.mark.parametrize(
    "inverter", [SoftPrompt(steps=30, length=4), PEZ(steps=30, length=4)], ids=lambda v: v.name
)
def test_batch_size_never_changes_a_result(inverter):
    model = ToyTextModel("image")
    together = inverter.invert(problem(model))
    assert len({tuple(inv.token_ids) for inv in together}) == 3
    for k, prompt in enumerate(PROMPTS):
        alone_targets = toy_targets(model, [prompt], ids=[f"t{k}"])
        alone = inverter.invert(problem(model, alone_targets))[0]
        assert torch.equal(alone.soft_embeddings, together[k].soft_embeddings), prompt
        assert alone.token_ids == together[k].token_ids
        assert alone.loss_trace == together[k].loss_trace
        assert alone.x.text == together[k].x.text


@pytest.mark.parametrize("make", [SoftPrompt, PEZ], ids=["soft-prompt", "pez"])
def test_max_steps_caps_the_optimisation(make):
    model = ToyTextModel("image")
    seen = []
    p = problem(model, budget=Budget(max_steps=3), progress=lambda s, t: seen.append((s, t)))
    model.calls = CallCounter()  # building the targets ran the model
    inversions = make(steps=50, length=4).invert(p)
    assert [inv.steps for inv in inversions] == [3, 3, 3]
    assert model.calls.forward == 9 and model.calls.backward == 9
    assert seen == [(1, 3), (2, 3), (3, 3)]
    # the inverter's own steps cap too
    assert [inv.steps for inv in make(steps=2, length=4).invert(problem())] == [2, 2, 2]


@pytest.mark.parametrize("make", [SoftPrompt, PEZ], ids=["soft-prompt", "pez"])
def test_forward_call_and_time_budgets_stop_the_loop(make):
    model = ToyTextModel("audio")
    p = problem(model, budget=Budget(max_steps=300, max_forward_calls=2))
    model.calls = CallCounter()  # as the harness does before inverting
    assert [inv.steps for inv in make(length=4).invert(p)] == [2, 2, 2]

    class Slow(ToyTextModel):
        def _objective(self, x, targets, **options):
            time.sleep(0.02)
            return super()._objective(x, targets, **options)

    slow = Slow("audio")
    p = problem(slow, toy_targets(slow), Budget(max_steps=300, max_seconds=0.1))
    steps = [inv.steps for inv in make(steps=300, length=4).invert(p)]
    assert all(1 <= s < 30 for s in steps), steps


def test_zero_steps_returns_the_random_start():
    p = problem(budget=Budget(max_steps=0))
    start = RandomTokens(length=4).invert(p)
    for make in (SoftPrompt, PEZ):
        for inv, floor in zip(make(length=4).invert(p), start, strict=True):
            assert inv.steps == 0 and inv.info["best_loss"] is None
            assert inv.token_ids == floor.token_ids and inv.x.text == floor.x.text


@pytest.mark.parametrize("make", [SoftPrompt, PEZ], ids=["soft-prompt", "pez"])
def test_success_stops_an_item_at_once(make):
    model = ToyTextModel("image")
    # targets made by exactly the random tokens each item starts from
    ids = ["a", "b"]
    base = problem(model, [Target(i, {"image": None}) for i in ids])
    starts = [inv.x.text for inv in RandomTokens(length=3).invert(base)]
    targets = toy_targets(model, starts, ids=ids)
    inversions = make(steps=50, length=3).invert(problem(model, targets))
    for inv, text in zip(inversions, starts, strict=True):
        assert inv.steps == 1 and inv.info["reached_target"] and inv.info["stopped_early"]
        assert inv.info["first_success_step"] == 1 and inv.x.text == text
    assert model.calls.backward == 0


def test_length_is_capped_by_the_models_max_tokens():
    model = ToyTextModel("image")
    p = problem(model, budget=Budget(max_steps=1))
    assert [len(inv.token_ids) for inv in RandomTokens(length=100).invert(p)] == [12, 12, 12]
    for inv in SoftPrompt(length=100).invert(p) + PEZ(length=100).invert(p):
        assert inv.soft_embeddings.shape == (12, 8) and len(inv.token_ids) == 12


def test_prompt_inverters_reject_a_model_without_text_input():
    p = InversionProblem(
        task="captioner/toy",
        family="captioner",
        targets=[Target("t0", {"text": "a red image"})],
        forward=ToyCaptioner(),
        budget=Budget(),
        seed=0,
    )
    for inverter in (SoftPrompt(), PEZ(), RandomTokens()):
        with pytest.raises(InvbenchError, match=f"{inverter.name} inverts text-input models"):
            inverter.invert(p)


# ------------------------------------------------------------------ random-tokens


def test_random_tokens_are_seeded_per_target_and_allowed():
    model = ToyTextModel("audio")
    first = RandomTokens(length=6).invert(problem(model))
    again = RandomTokens(length=6).invert(problem(model))
    assert [inv.token_ids for inv in first] == [inv.token_ids for inv in again]
    for inv in first:
        assert allowed_ids(model, inv.token_ids) and len(inv.token_ids) == 6
        assert isinstance(inv.x, Text) and inv.x.text == model.detokenize(inv.token_ids)
        assert inv.soft_embeddings is None
    alone = RandomTokens(length=6).invert(problem(model, toy_targets(model, PROMPTS[1:2], ["t1"])))
    assert alone[0].token_ids == first[1].token_ids
    assert first[0].token_ids != first[1].token_ids
    other_seed = RandomTokens(length=6).invert(problem(model, seed=1))
    assert other_seed[0].token_ids != first[0].token_ids


# ------------------------------------------------------------------ reference


def test_reference_returns_the_hidden_prompt_and_its_own_rows(quick_generator):
    texts = ["large red circle on black background", "say hello world"]
    toy = ToyTextModel("image")
    cases = [
        (toy, texts),
        (quick_generator, ["a large red circle above a small blue ring on a grey background"]),
    ]
    for model, hidden in cases:
        targets = [Target(f"h{k}", {"image": None}) for k in range(len(hidden))]
        p = problem(model, targets, family="generator", hidden=[{"text": t} for t in hidden])
        for inv, text in zip(Reference().invert(p), hidden, strict=True):
            [ids] = model.tokenize([text])
            assert isinstance(inv.x, Text) and inv.x.text == text and inv.token_ids == ids
            assert torch.equal(inv.soft_embeddings, model.embed(ids))
            nearest, cosine = nearest_tokens(
                inv.soft_embeddings, model.token_embeddings, model.prompt_token_mask
            )
            assert nearest.tolist() == ids
            assert torch.allclose(cosine, torch.ones(len(ids)), atol=1e-5)


def test_reference_config_hash_is_unchanged_for_asr_and_captioner():
    # result keys of the existing asr/captioner runs must survive the generator branch
    assert config_hash(Reference()) == "f436d391b06c"
    assert {"asr", "captioner", "generator"} <= set(Reference.families)


# ------------------------------------------------------------------ bridges


def test_captioner_bridge_uses_the_shipped_captioners_caption(quick_generator):
    scenes = take_scenes("test", 2, unique=True)
    images = [Image(render_tensor(s)) for s in scenes]
    targets = [Target(f"c{k}", {"image": im}) for k, im in enumerate(images)]
    inverter = CaptionerBridge()
    inversions = inverter.invert(problem(quick_generator, targets, Budget(max_steps=1)))
    expected = ShapesCaptioner("captioner").run(images)
    assert expected == [caption(s) for s in scenes]  # the shipped captioner reads these right
    for inv, text in zip(inversions, expected, strict=True):
        assert isinstance(inv.x, Text) and inv.x.text == text
        assert inv.token_ids == quick_generator.tokenize([text])[0]
        assert allowed_ids(quick_generator, inv.token_ids) and inv.soft_embeddings is None
    assert inverter.families == ("generator",) and inverter.config == {"captioner": "captioner"}


def test_generator_bridge_draws_the_target_caption(quick_generator_dir, quick_generator):
    captions = [caption(s) for s in take_scenes("test", 2, unique=True)]
    p = InversionProblem(
        task="captioner/toy",
        family="captioner",
        targets=[Target(f"g{k}", {"text": c}) for k, c in enumerate(captions)],
        forward=ToyCaptioner(),
        budget=Budget(max_steps=1),
        seed=0,
    )
    inverter = GeneratorBridge(generator=str(quick_generator_dir))
    inversions = inverter.invert(p)
    expected = quick_generator.run([Text(c) for c in captions])
    for inv, image in zip(inversions, expected, strict=True):
        assert isinstance(inv.x, Image) and inv.x.pixels.shape == (3, 64, 64)
        assert torch.equal(inv.x.pixels, image.pixels)
        assert float(inv.x.pixels.min()) >= 0.0 and float(inv.x.pixels.max()) <= 1.0
    assert inverter.families == ("captioner",)
    assert inverter.config == {"generator": str(quick_generator_dir), "seed": 0}


# ------------------------------------------------------------------ no family branches

FAMILY_NAMES = {"generator", "tts", "captioner", "asr"}
FORBIDDEN_ATTRIBUTES = {"family", "model_id", "__class__", "output_modality", "kind"}


def family_branches(source: str) -> list[str]:
    """What in ``source`` could tell one family or model from another (the ``families``
    declaration aside): family names, ``.family``/``.model_id``-style attributes, imports of
    concrete models, and type checks against anything but the text-input contract."""
    tree = ast.parse(source)
    declared: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "families" for t in node.targets
        ):
            declared |= {id(n) for n in ast.walk(node.value)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in FAMILY_NAMES and id(node) not in (
            declared
        ):
            found.append(f"line {node.lineno}: family name {node.value!r}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"line {node.lineno}: attribute .{node.attr}")
        elif isinstance(node, ast.Name) and node.id == "family":
            found.append(f"line {node.lineno}: name 'family'")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "invbench.models"
        ):
            found.append(f"line {node.lineno}: imports {node.module}")
        elif isinstance(node, ast.Import) and any(
            a.name.startswith("invbench.models") for a in node.names
        ):
            found.append(f"line {node.lineno}: imports a model module")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"isinstance", "issubclass"}
        ):
            checked = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(checked, ast.Name) and checked.id == "TextInputModel"):
                found.append(f"line {node.lineno}: {node.func.id}(...) check")
        elif isinstance(node, ast.Compare) and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "type"
            for n in [node.left, *node.comparators]
        ):
            found.append(f"line {node.lineno}: type(...) comparison")
    return found


def test_the_family_branch_check_catches_branches():
    bad = (
        "from invbench.models.zoo.shapes_generator import ShapesGenerator\n"
        "def f(problem):\n"
        "    if problem.family == 'tts':\n"
        "        return isinstance(problem.forward, ShapesGenerator)\n"
        "    return type(problem.forward) is ShapesGenerator or problem.forward.model_id\n"
    )
    assert len(family_branches(bad)) == 6
    good = (
        "families = ('generator', 'tts')\n"
        "x = isinstance(m, TextInputModel)\n"
        "n = type(m).__name__\n"
    )
    assert family_branches(good) == []


@pytest.mark.parametrize("module", [soft_prompt, pez, prompt_loop], ids=lambda m: m.__name__)
def test_prompt_optimisers_have_no_family_branches(module):
    assert family_branches(inspect.getsource(module)) == []
