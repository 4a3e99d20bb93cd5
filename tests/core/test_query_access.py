"""Access classes: a query-only inverter gets ``run`` only, and its queries are budgeted."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from invbench.contracts import (
    BaseInverter,
    Budget,
    BudgetExhausted,
    ForwardModel,
    Image,
    ImageSpec,
    InvbenchError,
    Inversion,
    ObjectiveResult,
    QueryOnlyModel,
    config_hash,
    inverter_access,
)
from invbench.fs.shipped import resource_dir
from invbench.harness.batch import BatchContext, _invert
from invbench.plugins.catalog import INVERTERS
from invbench.plugins.inverter_factory import make_inverter
from invbench.targets.target_set import TargetItem


class ToyCaptioner(ForwardModel):
    """Captions an image "a grey image" or "a red image"; has a differentiable objective and a
    token table, both of which a query-only inverter must not reach."""

    model_id = "toy"
    input_modality = "image"
    output_modality = "text"
    input_spec = ImageSpec(64, 64, 3, (0.0, 1.0))
    token_embeddings = torch.zeros(4, 2)

    @property
    def weights_sha256(self) -> str:
        return "0" * 64

    def _run(self, inputs):
        return ["a red image" if float(x.pixels[0].mean()) > 0.6 else "a grey image"
                for x in inputs]

    def _objective(self, x, targets, **options):
        loss = (x[:, 0] - 1.0).square().mean(dim=(1, 2))
        return ObjectiveResult(loss=loss, success=loss < 0.1)


def _grey(n: int = 1) -> list[Image]:
    return [Image(torch.full((3, 64, 64), 0.5)) for _ in range(n)]


def test_the_handle_offers_run_and_no_gradient_entry_point():
    model = ToyCaptioner()
    handle = QueryOnlyModel(model, query_limit=None)
    assert handle.run(_grey()) == ["a grey image"]
    assert handle.input_spec == model.input_spec
    assert handle.describe() == model.describe()
    for name in ("objective", "token_embeddings", "weights_sha256", "_objective"):
        with pytest.raises(AttributeError, match="not available to a query-only inverter"):
            getattr(handle, name)
    assert not hasattr(handle, "objective")


def test_queries_are_counted_and_the_limit_stops_them():
    model = ToyCaptioner()
    handle = QueryOnlyModel(model, query_limit=5)
    handle.run(_grey(3))
    assert (handle.queries_used, handle.queries_left, model.calls.forward) == (3, 2, 3)
    with pytest.raises(BudgetExhausted, match="query budget exhausted: 3 more queries after 3"):
        handle.run(_grey(3))
    assert handle.queries_used == 3 and model.calls.forward == 3  # the refused query never ran
    handle.run(_grey(2))
    assert handle.queries_left == 0


def test_query_budget_is_forward_calls_else_steps():
    assert Budget(max_steps=300).queries_per_target() == 300
    assert Budget(max_steps=300, max_forward_calls=40).queries_per_target() == 40


class _Greedy(BaseInverter):
    """Queries one grey image at a time until something stops it."""

    name = "greedy-queries"
    families = ("captioner",)
    access = "query-only"

    def invert(self, problem):
        self.seen = type(problem.forward)
        while True:
            problem.forward.run(_grey())


class _Peeker(_Greedy):
    name = "peeker"

    def invert(self, problem):
        problem.forward.objective(torch.zeros(1, 3, 64, 64), ["a red image"])
        return []


class _WhiteBox(BaseInverter):
    name = "white"
    families = ("captioner",)

    def invert(self, problem):
        self.seen = type(problem.forward)
        return [Inversion(x=image) for image in _grey(len(problem))]


def _context(inverter, budget: Budget, model) -> BatchContext:
    spec = SimpleNamespace(key="captioner/toy@1", family="captioner", budget=budget)
    adapter = SimpleNamespace(carriers=lambda target_set, items: None)
    return BatchContext(spec, None, model, adapter, [], inverter, 0, torch.device("cpu"),
                        Path("unused"))  # fmt: skip


def _items(n: int) -> list[TargetItem]:
    return [TargetItem(f"t{i}", {"text": "a red image"}) for i in range(n)]


def test_the_harness_budgets_a_query_only_inverter_per_target():
    model, inverter = ToyCaptioner(), _Greedy()
    inversions, status, message, _, (forward, backward) = _invert(
        _context(inverter, Budget(max_steps=4), model), _items(2), lambda step, total: None)
    assert inverter.seen is QueryOnlyModel
    assert inversions is None and status == "timeout" and "query budget exhausted" in message
    assert (forward, backward) == (8, 0)  # 4 queries per target, 2 targets


def test_a_query_only_inverter_that_asks_for_gradients_fails_clearly():
    _, status, message, _, _ = _invert(
        _context(_Peeker(), Budget(), ToyCaptioner()), _items(1), lambda step, total: None)
    assert status == "error" and "'objective' is not available to a query-only inverter" in message


def test_a_white_box_inverter_still_gets_the_model():
    model, inverter = ToyCaptioner(), _WhiteBox()
    inversions, status, _, _, _ = _invert(
        _context(inverter, Budget(), model), _items(2), lambda step, total: None)
    assert status == "ok" and len(inversions) == 2 and inverter.seen is ToyCaptioner


def test_access_defaults_to_white_box_and_is_validated():
    assert inverter_access(SimpleNamespace(name="old")) == "white-box"
    assert inverter_access(make_inverter("random-search")) == "query-only"
    with pytest.raises(InvbenchError, match="declares access 'black-box'; expected one of"):
        inverter_access(SimpleNamespace(name="odd", access="black-box"))


def test_access_is_not_part_of_any_built_in_config_hash():
    """The published leaderboards' config hashes are still what the built-ins hash to."""
    published = {}
    for path in sorted((resource_dir("leaderboard")).glob("mini-*.csv")):
        with path.open(encoding="utf-8") as f:
            published.update({row["inverter"]: (row["config_hash"], row["access"])
                              for row in csv.DictReader(f)})
    assert len(published) >= 10
    for name, (chash, access) in published.items():
        inverter = make_inverter(name)
        assert inverter_access(inverter) == access, name  # the row shows the class it declares
        assert config_hash(inverter) == chash, name
    assert published["random-search"][1] == "query-only"
    assert "random-search" in INVERTERS.builtin_names()
