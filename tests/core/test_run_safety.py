"""Run safety, unit by unit: ids and names that could escape the run folder are refused where
they enter, artifact paths cannot leave it, blank target texts are refused at load, and the
harness's budget rule flags an inverter that spends more than its task allows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from target_fixtures import rehash

from invbench.api.resolve import unique
from invbench.contracts import Budget, InvbenchError, TargetSetError, TargetSetRef
from invbench.harness.budget_check import allowance, over_budget
from invbench.plugins.catalog import INVERTERS, register_inverter
from invbench.plugins.registry import Registry
from invbench.store.run_store import RunStore
from invbench.targets.target_set import load_target_set

ESCAPE = "../../../../escaped_t001"


def _edit_first_row(include_path: Path, **changes) -> TargetSetRef:
    """Change the first target of the test set, re-pin it, and return the ref to load it by."""
    folder = include_path / "targets" / "transcripts-tiny"
    lines = (folder / "targets.jsonl").read_text().splitlines()
    row = json.loads(lines[0])
    for key, value in changes.items():
        part, _, field = key.partition("__")
        if field:
            row[part][field] = value
        else:
            row[part] = value
    (folder / "targets.jsonl").write_text("\n".join([json.dumps(row), *lines[1:]]) + "\n")
    rehash(folder)
    sha = json.loads((folder / "manifest.json").read_text())["content_sha256"]
    return TargetSetRef(name="transcripts-tiny", version=1, content_sha256=sha)


def _load(include_path: Path, ref: TargetSetRef):
    return load_target_set(ref, [include_path / "targets"])


def test_the_unedited_set_loads(include_path):
    assert [i.id for i in _load(include_path, _edit_first_row(include_path)).items] == \
        ["t000", "t001", "t002"]


@pytest.mark.parametrize("bad_id", [ESCAPE, "a/b", "..", ".", "", "t\r001", 7])
def test_a_target_id_that_could_escape_is_refused_at_load(include_path, bad_id):
    ref = _edit_first_row(include_path, id=bad_id)
    with pytest.raises(TargetSetError) as info:
        _load(include_path, ref)
    text = str(info.value)
    assert repr(bad_id) in text and "[A-Za-z0-9._-]+" in text and "\n" not in text


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_an_empty_target_text_is_refused_at_load_naming_id_and_field(include_path, text):
    ref = _edit_first_row(include_path, target__text=text)
    with pytest.raises(TargetSetError, match=r"target 't000' has an empty target field 'text'"):
        _load(include_path, ref)


def test_a_repeated_id_is_refused(include_path):
    ref = _edit_first_row(include_path, id="t001")
    with pytest.raises(TargetSetError, match="'t001' appears more than once"):
        _load(include_path, ref)


@pytest.mark.parametrize("name", ["a/b", "a\\b", "../x", "..", "", "bad\rname", "bad\nname",
                                  "a|b", "a b"])
def test_registered_names_must_be_safe(name):
    registry: Registry = Registry("thing")
    with pytest.raises(InvbenchError, match="thing name .* is not allowed"):
        registry.add(name, "os.path:join")
    assert name not in registry


def test_register_inverter_refuses_a_name_with_a_slash():
    with pytest.raises(InvbenchError, match=r"inverter name 'a/b' is not allowed"):
        register_inverter("a/b")
    assert "a/b" not in INVERTERS
    registry: Registry = Registry("thing")
    registry.add("ok-name_1.2", "os.path:join")  # the safe alphabet is accepted
    assert registry.names() == ["ok-name_1.2"]


def test_artifact_paths_cannot_leave_the_run_folder(tmp_path):
    store = RunStore(tmp_path / "run")
    folder = store.artifact_dir("asr/mini", 1, "noise", "abc123")
    assert folder == tmp_path / "run" / "artifacts" / "asr-mini-v1" / "noise-abc123"
    for inverter in ("../../../x", "a/b", "a\\b"):
        with pytest.raises(InvbenchError, match="not allowed"):
            store.artifact_dir("asr/mini", 1, inverter, "abc123")
    for outside in (tmp_path / "run" / ".." / "x", tmp_path / "elsewhere", "/etc/passwd",
                    tmp_path / "run"):
        with pytest.raises(InvbenchError, match="outside the run folder"):
            store.inside(outside)
    assert store.inside(folder / "t000-s0.wav") == folder / "t000-s0.wav"


def _limits(budget: Budget, access: str) -> tuple[int, int, int]:
    got = allowance(budget, access)
    return got.steps, got.forward, got.backward


def test_budget_allowance_follows_the_documented_rule():
    assert _limits(Budget(max_steps=3), "white-box") == (3, 6, 3)
    assert _limits(Budget(max_steps=50, max_forward_calls=7), "white-box") == (50, 7, 50)
    assert _limits(Budget(max_steps=3), "query-only") == (3, 3, 0)
    assert _limits(Budget(max_steps=3, max_forward_calls=40), "query-only") == (40, 40, 0)


def test_over_budget_flags_calls_per_batch_and_steps_per_item():
    budget = Budget(max_steps=3)
    assert over_budget(budget, "white-box", [3, 3], forward=12, backward=6) == [None, None]
    [a, b] = over_budget(budget, "white-box", [3, 3], forward=50, backward=6)
    assert a == b == ("over budget: 25 forward passes per target, the budget allows 6 "
                      "(2 per step x max_steps 3)")
    [ok, lied] = over_budget(budget, "white-box", [3, 4], forward=6, backward=6)
    assert ok is None and lied == "over budget: 4 steps, the budget allows 3"
    [grads] = over_budget(budget, "white-box", [3], forward=6, backward=4)
    assert grads is not None and "4 backward passes" in grads
    assert over_budget(budget, "query-only", [3], forward=4, backward=0)[0] is not None


def test_repeats_are_dropped_in_order_with_one_notice():
    notices: list[str] = []
    assert unique([2, 0, 2, 1, 0], "seed", notices.append) == [2, 0, 1]
    assert notices == ["notice: seed 2, 0 listed more than once; running each once"]
    assert unique([0, 1], "seed", notices.append) == [0, 1] and len(notices) == 1
