"""``random-search``: the query-only captioner baseline, on the real mini-zoo Shapes captioner."""

from __future__ import annotations

import pytest
import torch

from invbench.contracts import Budget, CallCounter, InversionProblem, QueryOnlyModel, Target
from invbench.families.adapter import family_adapter
from invbench.inverters.random_search import RandomSearch, word_overlap
from invbench.models.zoo.shapes_captioner import ShapesCaptioner
from invbench.plugins.task_catalog import TaskCatalog
from invbench.targets.target_set import load_target_set

BUDGET = Budget(max_steps=300, max_seconds=60)  # captioner/mini's


@pytest.fixture(scope="module")
def captioner() -> ShapesCaptioner:
    return ShapesCaptioner("captioner")


@pytest.fixture(scope="module")
def targets():
    """The first three captioner/mini targets and their carriers (other targets' renders)."""
    catalog = TaskCatalog()
    target_set = load_target_set(catalog.get("captioner/mini").targets, catalog.target_dirs())
    items = target_set.items[:3]
    return items, family_adapter("captioner").carriers(target_set, items)


def _problem(model, items, carriers, budget=BUDGET) -> tuple[InversionProblem, QueryOnlyModel]:
    model.calls = CallCounter()  # as the harness does before each batch
    handle = QueryOnlyModel(model, budget.queries_per_target() * len(items))
    problem = InversionProblem(
        task="captioner/mini@1", family="captioner",
        targets=[Target(item.id, dict(item.target)) for item in items],
        forward=handle, budget=budget, seed=0, carriers=carriers,
    )  # fmt: skip
    return problem, handle


def test_word_overlap_rewards_shared_words_in_order():
    target = "a large red circle on a grey background"
    assert word_overlap(target, target) == 1.0
    assert word_overlap("x y z", target) == 0.0
    shuffled = "background grey a on circle red large a"
    assert 0 < word_overlap(shuffled, target) < word_overlap("a large blue circle on a grey "
                                                             "background", target) < 1  # fmt: skip


def test_it_improves_on_its_carrier_using_only_captions(captioner, targets):
    items, carriers = targets
    problem, handle = _problem(captioner, items, carriers)
    inversions = RandomSearch(queries=17).invert(problem)
    assert handle.queries_used == 3 * 17 and captioner.calls.backward == 0
    captions = captioner.run([inv.x for inv in inversions])
    for item, inversion, caption in zip(items, inversions, captions, strict=True):
        info = inversion.info
        assert caption == info["caption"]  # the image really is captioned so
        assert info["final_overlap"] == word_overlap(caption, item.target["text"])
        assert info["final_overlap"] >= info["start_overlap"]
        assert inversion.steps == info["queries"] == 17 and inversion.carrier is not None
        pixels = inversion.x.pixels
        assert pixels.shape == (3, 64, 64) and 0 <= float(pixels.min()) <= float(pixels.max()) <= 1
    gains = [inv.info["final_overlap"] - inv.info["start_overlap"] for inv in inversions]
    assert sum(g > 0 for g in gains) >= 2, gains


def test_the_task_budget_caps_its_queries_and_batching_changes_nothing(captioner, targets):
    items, carriers = targets
    budget = Budget(max_steps=300, max_forward_calls=10)
    problem, handle = _problem(captioner, items, carriers, budget)
    together = RandomSearch(queries=64).invert(problem)
    assert handle.queries_used == 30 and [inv.steps for inv in together] == [10, 10, 10]
    for i in range(3):
        alone, _ = _problem(captioner, items[i:i + 1], carriers[i:i + 1], budget)
        [inversion] = RandomSearch(queries=64).invert(alone)
        assert torch.equal(inversion.x.pixels, together[i].x.pixels)


def test_noise_start_needs_no_carrier(captioner, targets):
    items, _ = targets
    problem, _ = _problem(captioner, items[:1], None, Budget(max_steps=1))
    [inversion] = RandomSearch(start="noise").invert(problem)
    assert inversion.carrier is None and inversion.steps == 1 and inversion.info["moves"] == 0
