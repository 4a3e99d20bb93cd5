"""Set-level metrics on the leaderboard: computed from stored features, order-free, with CIs."""

from __future__ import annotations

import math
import random
from typing import Any, ClassVar

import numpy as np
import pytest

from invbench.contracts.metric import MetricOutput
from invbench.contracts.set_metric import SetMetric
from invbench.leaderboard import build_leaderboard
from invbench.plugins.catalog import METRICS
from invbench.store.run_store import REFERENCE_KIND, encode_features, reference_key


class MeanShift(SetMetric):
    """Toy set metric: distance between the set's feature mean and the reference mean."""

    name: ClassVar[str] = "mean_shift"
    requires: ClassVar[tuple[str, ...]] = ("image",)
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("mean_shift", False, (0.0, math.inf)),
    )

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def settings(self) -> dict[str, Any]:
        return {"scale": self.scale}

    def item_features(self, image: Any) -> np.ndarray:
        return np.asarray(image, dtype=np.float64)

    def compute(self, features: np.ndarray, reference: np.ndarray) -> dict[str, float]:
        shift = np.linalg.norm(features.mean(0) - reference.mean(0))
        return {"mean_shift": float(self.scale * shift)}


@pytest.fixture
def toy_metric():
    METRICS.add("mean_shift", MeanShift)
    yield MeanShift
    METRICS.remove("mean_shift")


TASK = "captioner/toy"
SIGNATURE = "mean_shift|scale:2.0|version:1"
SET_METRIC = {"id": "mean_shift", "options": {"scale": 2.0}}
OUTPUT = {"mean_shift": {"signature": SIGNATURE, "higher_is_better": False, "range": [0, None],
                         "set_metric": SET_METRIC}}  # fmt: skip
REFERENCE = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])


def _item(target: str, features: list[float], seed: int = 0) -> dict[str, Any]:
    return {"schema": 1, "run_id": "toy", "key": f"{TASK}@1|inv|h|{target}|{seed}", "task": TASK,
            "task_version": 1, "family": "captioner", "suite": "toy", "target_set": "toy@1",
            "target_set_sha256": "a" * 64, "inverter": "inv", "inverter_version": "1",
            "inverter_config_hash": "h", "inverter_config": {}, "oracle": False,
            "target_id": target, "seed": seed, "status": "ok", "message": None, "scores": {},
            "metric_errors": {},
            "set_features": {"mean_shift": encode_features(np.array(features))},
            "outputs": OUTPUT, "main_scores": {"quality": "mean_shift"},
            "cost": {"seconds": 1.0, "forward_calls": 1.0, "backward_calls": 0.0, "steps": 0},
            "artifacts": {}, "model_output": {}, "time": "2026-11-23T23:00:00+00:00"}  # fmt: skip


def _reference() -> dict[str, Any]:
    return {"schema": 1, "kind": REFERENCE_KIND, "status": "ok", "task": TASK, "task_version": 1,
            "key": reference_key(f"{TASK}@1", "mean_shift", SIGNATURE), "metric": "mean_shift",
            "signature": SIGNATURE, "target_set": "toy@1", "target_set_sha256": "a" * 64,
            "message": None, "time": "2026-11-23T23:00:00+00:00", "dim": 2, "count": 4,
            "features": encode_features(REFERENCE)}  # fmt: skip


ITEMS = [_item(f"t{i}", [float(i), 1.0]) for i in range(6)]


def test_value_is_the_metric_over_all_ok_items(toy_metric):
    row = build_leaderboard([_reference(), *ITEMS], resamples=200).iloc[0]
    expected = 2.0 * np.linalg.norm(np.array([2.5, 1.0]) - REFERENCE.mean(0))
    assert row["mean_shift"] == pytest.approx(expected)
    assert row["mean_shift_n"] == 6
    assert row["mean_shift_ci_low"] <= row["mean_shift"] <= row["mean_shift_ci_high"]
    assert row["mean_shift_ci_low"] < row["mean_shift_ci_high"]
    assert row["n_targets"] == 6  # the reference record is not an item


def test_order_and_sharding_never_change_a_digit(toy_metric):
    records = [_reference(), *ITEMS]
    first = build_leaderboard(records, resamples=200)
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    second = build_leaderboard(shuffled + [_reference()], resamples=200)  # duplicate shard ref
    cols = ["mean_shift", "mean_shift_ci_low", "mean_shift_ci_high"]
    assert first[cols].equals(second[cols])


def test_failed_items_do_not_contribute(toy_metric):
    broken = _item("t9", [100.0, 100.0]) | {"status": "error"}
    with_failure = build_leaderboard([_reference(), *ITEMS, broken], resamples=200).iloc[0]
    clean = build_leaderboard([_reference(), *ITEMS], resamples=200).iloc[0]
    assert with_failure["mean_shift"] == clean["mean_shift"]
    assert with_failure["coverage"] == pytest.approx(6 / 7)


def test_missing_reference_gives_nan_not_a_score(toy_metric):
    row = build_leaderboard(ITEMS, resamples=200).iloc[0]
    assert math.isnan(row["mean_shift"])


def test_features_round_trip_exactly_for_float32_data():
    from invbench.store.run_store import decode_features

    data = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    assert np.array_equal(decode_features(encode_features(data), 3), data.astype(np.float64))


def test_compare_detects_a_set_metric_regression(toy_metric):
    from invbench.leaderboard.compare import REGRESSION, compare_runs

    worse = [_item(f"t{i}", [float(i) + 5.0, 6.0]) for i in range(6)]
    report = compare_runs([_reference(), *ITEMS], [_reference(), *worse], resamples=200)
    [row] = report.rows
    assert row.metric == "mean_shift" and row.status == REGRESSION
    assert row.cand_mean > row.base_mean and row.diff < 0 and row.ci_high < 0
    assert row.n_items == 6


def test_compare_refuses_different_reference_pools(toy_metric):
    from invbench.leaderboard.compare import INCOMPARABLE, compare_runs

    other = _reference() | {"features": encode_features(REFERENCE + 1.0)}
    [row] = compare_runs([_reference(), *ITEMS], [other, *ITEMS], resamples=50).rows
    assert row.status == INCOMPARABLE and "reference-pool" in row.reason
