"""The run store: torn lines, last-record-wins, merged shards, validated lines and manifests,
and inverter diagnostics made strict JSON."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from invbench.contracts.errors import InvbenchError
from invbench.store.json_safe import MAX_ELEMENTS, info_dict
from invbench.store.manifest import RunManifest
from invbench.store.records import Record
from invbench.store.run_store import RunStore, read_runs

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "run-schema1"
ITEM = next(json.loads(line) for line in (FIXTURE / "records.jsonl").open()
            if '"kind": "set_reference"' not in line)


def _record(key: str, status: str = "ok", **extra) -> dict:
    return {**ITEM, "key": key, "status": status, **extra}


def test_torn_last_line_is_ignored_and_repaired(tmp_path):
    store = RunStore(tmp_path / "run")
    store.create()
    store.append(_record("a"))
    store.append(_record("b", "error", message="boom"))
    with store.records_path.open("a") as handle:
        handle.write('{"key": "c", "stat')  # a write cut by SIGKILL
    assert set(store.latest_records()) == {"a", "b"}
    store.create()  # resuming terminates the torn line
    store.append(_record("c"))
    assert store.completed_keys() == {"a", "c"}


def test_last_record_per_key_wins_and_runs_merge(tmp_path):
    one, two = RunStore(tmp_path / "one"), RunStore(tmp_path / "two")
    for store in (one, two):
        store.create()
    one.append(_record("k", "error", message="boom"))
    one.append(_record("k", seed=7))
    two.append(_record("m"))
    merged = {r.key: r for r in read_runs([one.root, two.root])}
    assert merged["k"].seed == 7 and merged["k"].status == "ok" and set(merged) == {"k", "m"}


def test_an_invalid_complete_line_is_one_line_naming_file_line_and_field(tmp_path):
    store = RunStore(tmp_path / "run")
    store.create()
    store.append(_record("a"))
    with store.records_path.open("a") as handle:
        handle.write(json.dumps(_record("b", seed="one")) + "\n")
    with pytest.raises(InvbenchError) as info:
        store.latest_records()
    message = str(info.value)
    assert message == (f"{store.records_path} line 2: field 'seed': expected an integer, "
                       "got 'one'")


def test_a_record_from_a_newer_schema_is_refused_with_upgrade_advice(tmp_path):
    store = RunStore(tmp_path / "run")
    store.create()
    with store.records_path.open("a") as handle:
        handle.write(json.dumps(_record("a", schema=2)) + "\n")
    with pytest.raises(InvbenchError, match=r"line 1: field 'schema': .*upgrade invbench"):
        store.all_records()


def test_appending_validates_so_no_bad_line_reaches_the_file(tmp_path):
    store = RunStore(tmp_path / "run")
    store.create()
    broken = {k: v for k, v in _record("a").items() if k != "cost"}
    with pytest.raises(InvbenchError, match="field 'cost': missing"):
        store.append(broken)
    assert not store.records_path.exists() or store.records_path.read_text() == ""


def test_old_lines_gain_the_new_fields_defaults():
    record = Record.model_validate(ITEM)
    assert "inverter_access" not in ITEM and record.inverter_access == "white-box"
    assert record.inverter_info == {} and record.kind == "item"
    assert record.model_extra == {}  # every field a schema-1 line has is declared


def test_manifest_round_trips_and_is_written_atomically(tmp_path):
    store = RunStore(tmp_path)
    manifest = RunManifest.model_validate_json((FIXTURE / "manifest.json").read_text())
    store.write_manifest(manifest)
    assert store.read_manifest() == manifest
    assert not list(tmp_path.glob(".manifest.json.*"))


def test_a_bad_manifest_is_one_line(tmp_path):
    data = json.loads((FIXTURE / "manifest.json").read_text())
    data["sessions"][0]["pid"] = "many"
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(InvbenchError) as info:
        RunStore(tmp_path).read_manifest()
    assert str(info.value) == (f"{tmp_path / 'manifest.json'}: field 'sessions.0.pid': "
                               "expected an integer, got 'many'")


def test_inverter_info_becomes_strict_json():
    info = info_dict({
        "flag": np.bool_(True), "step": np.int64(3), "loss": float("nan"), "x": torch.tensor(2.5),
        "small": torch.zeros(2, requires_grad=True), "big": np.zeros(MAX_ELEMENTS + 1),
        "nested": {1: (np.float32(0.5), {"s"})}, "obj": object,
    })  # fmt: skip
    assert info["flag"] is True and info["step"] == 3 and info["loss"] is None
    assert info["x"] == 2.5 and info["small"] == [0.0, 0.0]
    assert info["big"].startswith("<ndarray shape (65,)") and info["nested"] == {"1": [0.5, ["s"]]}
    assert info["obj"] == repr(object)
    assert json.loads(json.dumps(info, allow_nan=False)) == info
    assert info_dict(None) == {} and info_dict([1, math.inf]) == {"value": [1, None]}
