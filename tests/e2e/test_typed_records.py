"""Typed records end to end: a run folder written before them still loads and resumes, and a
new run's lines are exactly the declared models (with the inverter's own diagnostics)."""

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from helpers import invbench
from target_fixtures import build_image_include_path, build_include_path

from invbench.leaderboard.binary import is_binary, wilson_interval
from invbench.leaderboard.rows import group_records, per_target_means
from invbench.store.manifest import RunManifest
from invbench.store.records import Record
from invbench.store.run_store import RunStore

OLD_RUN = Path(__file__).resolve().parents[1] / "fixtures" / "run-schema1"


# Changed on purpose since: FID/KID intervals (half-sampling, no longer a bootstrap with
# replacement that excluded FID's own value), binary rows' intervals (every target 0, or every
# target 1: the modified Wilson interval, no longer a zero-width [v, v]) and the label saying so.
_SET_CI = {f"{m}_ci_{side}" for m in ("fid", "kid") for side in ("low", "high")}
_OLD_LABEL = "percentile,B=1000,seed=0,level=0.95"
_NEW_SUFFIX = ";sets:subsample-n/2-centred;binary:modified-wilson"


def _binary_rows() -> dict[tuple[str, str, str], tuple[float, float]]:
    """``{(task, inverter, metric): (low, high)}`` for the old run's binary cells: a rate (range
    [0, 1]) whose every target's value (seeds averaged) is 0 or 1, read from its records; their
    interval is now the score one."""
    found = {}
    for (task, _, inverter, _), group in group_records(RunStore(OLD_RUN).all_records()).items():
        for metric in group.outputs():
            _, means = per_target_means(group.ok_values(metric))
            if group.is_proportion(metric) and is_binary(means):
                low, high = wilson_interval(int(means.sum()), len(means))
                found[(task, inverter, metric)] = (float(low), float(high))
    return found


_BINARY = _binary_rows()


def _same_cell(name: str, new_cells: dict[str, str], old_cells: dict[str, str]) -> None:
    metric = name.rsplit("_ci_", 1)[0]
    if name in _SET_CI and old_cells[name]:
        low, high = (float(new_cells[f"{metric}_ci_{side}"]) for side in ("low", "high"))
        assert low <= float(new_cells[metric]) <= high
    elif (binary := _BINARY.get((new_cells["task"], new_cells["inverter"], metric))) and (
        "_ci_" in name
    ):
        got = (float(new_cells[f"{metric}_ci_low"]), float(new_cells[f"{metric}_ci_high"]))
        assert got == pytest.approx(binary, rel=1e-5) and got[0] < got[1], name
    elif name != "bootstrap":
        assert new_cells[name] == old_cells[name], name


def _same_board_as_before(path: Path) -> int:
    """``path`` holds the old code's leaderboard cell for cell, plus the ``access`` column added
    since (old records carry no access class: they read as white-box), except the set metrics'
    intervals, which now contain their values, the binary rows' intervals, which are no longer
    zero-width, and the label naming their methods. Returns how many binary intervals changed."""
    expected = OLD_RUN / "expected-leaderboard.csv"
    with path.open(newline="") as new, expected.open(newline="") as old:
        new_rows, old_rows = list(csv.reader(new)), list(csv.reader(old))
    column = new_rows[0].index("access")
    assert {row[column] for row in new_rows[1:]} == {"white-box"}
    new_rows = [row[:column] + row[column + 1:] for row in new_rows]
    header = new_rows[0]
    assert header == old_rows[0]
    changed = 0
    for new_row, old_row in zip(new_rows[1:], old_rows[1:], strict=True):
        new_cells = dict(zip(header, new_row, strict=True))
        old_cells = dict(zip(header, old_row, strict=True))
        assert new_cells["bootstrap"] == old_cells["bootstrap"] + _NEW_SUFFIX
        for name in header:
            _same_cell(name, new_cells, old_cells)
        changed += sum((new_cells["task"], new_cells["inverter"], m[: -len("_ci_low")]) in _BINARY
                       for m in header if m.endswith("_ci_low"))  # fmt: skip
    return changed


def _without_changed_intervals(markdown: str) -> str:
    """The page with the KID/FID cells' ``[low, high]``, the intervals of cells at 0 or 1 (the
    binary rows) and the label's new suffix removed."""
    lines = []
    for line in markdown.replace(_NEW_SUFFIX, "").splitlines():
        cells = line.split(" | ")
        if line.startswith("| inverter"):
            header = cells
        elif line.startswith("| ") and not line.startswith("|---"):
            cells = [re.sub(r" \[.*\]", "", c) if re.search(r"\b[fk]id\b", h) else c
                     for c, h in zip(cells, header, strict=True)]  # fmt: skip
            cells = [re.sub(r"^([01]) \[[^]]*\]", r"\1", c) for c in cells]
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def test_an_old_run_gives_the_leaderboard_it_gave_before(tmp_path):
    invbench("leaderboard", str(OLD_RUN), "--csv", str(tmp_path / "board.csv"))
    # exact_match (4 rows) and transfer_exact_match (2 rows), each all 0 or all 1
    assert _same_board_as_before(tmp_path / "board.csv") == len(_BINARY) == 6
    # white-box rows carry no tag, so the Markdown page is the old one once the per-cell counts
    # ("(n=K)") and the set metrics' and binary rows' new intervals (all issue 14) are set aside
    expected = (OLD_RUN / "expected-leaderboard.md").read_text(encoding="utf-8")
    got = (tmp_path / "board.md").read_text(encoding="utf-8")
    assert " (n=" in got and _OLD_LABEL + _NEW_SUFFIX in got
    counted = re.sub(r" \(n=\d+\)", "", got)
    assert _without_changed_intervals(counted) == _without_changed_intervals(expected)


def test_an_old_run_resumes_without_recomputing_anything(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(OLD_RUN, run)
    asr = build_include_path(tmp_path / "asr")
    img = build_image_include_path(tmp_path / "img")
    old_manifest = RunManifest.model_validate_json((run / "manifest.json").read_text())
    for task, folder in (("asr/tiny@1", asr), ("captioner/tiny@1", img)):
        pinned = old_manifest.target_sets[task].content_sha256
        rebuilt = json.loads(next((folder / "targets").glob("*/manifest.json")).read_text())
        assert rebuilt["content_sha256"] == pinned  # the same targets, or resuming proves nothing
    before = (run / "records.jsonl").read_bytes()

    result = invbench("evaluate", "--include-path", str(asr), "--include-path", str(img),
                      "--tasks", "asr/tiny,captioner/tiny", "--inverters", "noise,reference",
                      "--seeds", "0,1", "--out", str(run), "--no-progress")  # fmt: skip
    assert result.stderr.count("already complete") == 2  # both tasks: every item skipped
    assert (run / "records.jsonl").read_bytes() == before  # 0 items recomputed
    _same_board_as_before(run / "leaderboard.csv")
    manifest = RunStore(run).read_manifest()
    assert manifest is not None and len(manifest.sessions) == 2
    assert manifest.inverters["noise@2a3cdb310e6e"].provenance.kind == "built-in"


def test_new_records_are_exactly_the_model_and_keep_inverter_info(tmp_path):
    include = build_image_include_path(tmp_path / "img", n=1, max_steps=3)
    run = tmp_path / "run"
    invbench("evaluate", "--include-path", str(include), "--tasks", "captioner/tiny",
             "--inverters", "pixels-adam", "--out", str(run), "--no-progress")  # fmt: skip
    lines = [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]
    [item] = [line for line in lines if line["kind"] == "item"]
    record = Record.model_validate(item)
    assert record.model_extra == {}  # the harness writes only declared fields
    assert item["inverter_access"] == "white-box"
    assert set(record.inverter_info) == {"stopped_early", "reached_target", "first_success_step"}
    assert isinstance(record.inverter_info["reached_target"], bool)
