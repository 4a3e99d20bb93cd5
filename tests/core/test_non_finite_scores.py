"""Non-finite metric values: +inf where the metric's range reaches it is a value (stored and read
back), NaN or an undeclared infinity is a per-item error, never a crash or a silent drop."""

import json
import math
from pathlib import Path

from invbench.contracts.metric import Metric, MetricOutput, value_problem
from invbench.scoring.apply import apply_metrics
from invbench.store.records import Record
from invbench.store.run_store import RunStore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "run-schema1"
OUTPUTS = (MetricOutput("psnr_db", True, (0.0, math.inf)), MetricOutput("ratio", True, (0.0, 1.0)))


def test_value_problem_allows_only_the_declared_infinity():
    assert value_problem(OUTPUTS, {"psnr_db": math.inf, "ratio": 0.5}) is None
    assert "ratio" in value_problem(OUTPUTS, {"ratio": math.inf})
    assert "psnr_db" in value_problem(OUTPUTS, {"psnr_db": -math.inf})
    assert "psnr_db" in value_problem(OUTPUTS, {"psnr_db": math.nan})
    assert "other" in value_problem(OUTPUTS, {"other": math.inf})  # undeclared: finite only


class _OwnScore(Metric):
    """A plug-in that overrides score() and so bypasses the base class's check."""

    name = "own_score"
    requires = ("x",)
    outputs = OUTPUTS

    def score_item(self, **fields):
        raise NotImplementedError

    def score(self, fields):
        from invbench.contracts.metric import ItemScores

        return [ItemScores(values={"psnr_db": v, "ratio": 0.5}) for v in fields["x"]]


def test_a_plugin_nan_becomes_that_items_error_and_the_others_keep_their_scores():
    results = apply_metrics([_OwnScore()], {"x": [1.0, math.nan, math.inf]}, 3)
    assert results[0].scores == {"psnr_db": 1.0, "ratio": 0.5} and not results[0].errors
    assert "non-finite value for ['psnr_db']" in results[1].errors["own_score"]
    assert not results[1].scores
    assert results[2].scores["psnr_db"] == math.inf


def test_an_infinite_score_is_stored_as_strict_json_and_read_back(tmp_path):
    store = RunStore(tmp_path / "run")
    store.create()
    first = json.loads((FIXTURE / "records.jsonl").read_text().splitlines()[0])
    record = Record.model_validate(first)
    record.scores[next(iter(record.scores))] = math.inf
    store.append(record)
    raw = store.records_path.read_text()
    assert "Infinity" not in raw and '"inf"' in raw  # strict JSON, readable by any parser
    back = store.all_records()[0]
    assert back.scores == record.scores
