"""Task metric entries: options, renamed fields and prefixes (the transfer scores)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from invbench.contracts.errors import InvbenchError, UnknownNameError
from invbench.contracts.task_spec import MetricRef, TaskSpec
from invbench.scoring.metric_binding import bind_metric, bind_metrics

BASE = {
    "name": "captioner/x", "version": 1, "family": "captioner", "suite": "t",
    "description": "d", "forward_model": {"id": "shapes-captioner"},
    "targets": {"name": "s", "version": 1, "content_sha256": "0" * 64},
    "main_scores": {"alignment": "exact_match"},
}  # fmt: skip
TRANSFER = {
    "id": "exact_match",
    "prefix": "transfer_",
    "fields": {"hypothesis": "transfer_hypothesis"},
}
SOURCES = {"transfer_hypothesis": "shapes-captioner:judge@abcdef012345"}


def test_task_spec_accepts_names_and_refs():
    spec = TaskSpec(**BASE, metrics=["exact_match", TRANSFER])
    refs = spec.metric_refs
    assert refs[0] == MetricRef(id="exact_match")
    assert refs[1].prefix == "transfer_" and refs[1].fields == TRANSFER["fields"]


@pytest.mark.parametrize("prefix", ["Transfer_", "transfer", "_x_", "a b_"])
def test_bad_prefix_is_rejected(prefix):
    with pytest.raises(ValidationError):
        TaskSpec(**BASE, metrics=[{**TRANSFER, "prefix": prefix}])


@pytest.mark.parametrize(
    ("hypothesis", "transfer", "expected"),
    [("a red circle", "a red circle", 1.0), ("a red circle", "a blue circle", 0.0)],
)
def test_remapped_metric_reads_its_field_and_prefixes_outputs(hypothesis, transfer, expected):
    metric = bind_metric(MetricRef(**TRANSFER), SOURCES)
    assert metric.name == "transfer_exact_match"
    assert [o.name for o in metric.outputs] == ["transfer_exact_match"]
    assert metric.requires == ("transfer_hypothesis", "target_text")
    [item] = metric.score(
        {
            "transfer_hypothesis": [transfer],
            "target_text": ["a red circle"],
            "hypothesis": [hypothesis],
        }
    )
    assert item.values == {"transfer_exact_match": expected}


def test_remapped_signature_names_field_source_and_keeps_version_last():
    plain = bind_metric(MetricRef(id="exact_match"), SOURCES).signature()
    remapped = bind_metric(MetricRef(**TRANSFER), SOURCES).signature()
    assert remapped != plain
    assert "fields:hypothesis=transfer_hypothesis" in remapped
    assert "source:transfer_hypothesis=shapes-captioner:judge@abcdef012345" in remapped
    assert remapped.rsplit("|", 1)[1] == plain.rsplit("|", 1)[1]  # same version, last


def test_duplicate_output_names_are_refused():
    spec = TaskSpec(**BASE, metrics=["exact_match", {"id": "exact_match"}])
    with pytest.raises(InvbenchError, match="'exact_match' is produced by both"):
        bind_metrics(spec, {})


def test_remapping_a_field_the_metric_does_not_read_is_refused():
    with pytest.raises(InvbenchError, match=r"cannot remap \['audio'\]"):
        bind_metric(MetricRef(id="wer", fields={"audio": "x"}, prefix="t_"), {})


def test_unknown_metric_suggests_a_name():
    with pytest.raises(UnknownNameError, match="exact_match"):
        bind_metric(MetricRef(id="exact_mach"), {})
