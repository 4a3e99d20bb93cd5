"""Typed records end to end: a run folder written before them still loads and resumes, and a
new run's lines are exactly the declared models (with the inverter's own diagnostics)."""

import csv
import json
import re
import shutil
from pathlib import Path

from helpers import invbench
from target_fixtures import build_image_include_path, build_include_path

from invbench.store.manifest import RunManifest
from invbench.store.records import Record
from invbench.store.run_store import RunStore

OLD_RUN = Path(__file__).resolve().parents[1] / "fixtures" / "run-schema1"


# Changed on purpose since: FID/KID intervals (half-sampling, no longer a bootstrap with
# replacement that excluded FID's own value) and the interval label that says so.
_SET_CI = {f"{m}_ci_{side}" for m in ("fid", "kid") for side in ("low", "high")}
_OLD_LABEL, _NEW_SUFFIX = "percentile,B=1000,seed=0,level=0.95", ";sets:subsample-n/2-centred"


def _same_board_as_before(path: Path) -> None:
    """``path`` holds the old code's leaderboard cell for cell, plus the ``access`` column added
    since (old records carry no access class: they read as white-box), except the set metrics'
    intervals, which now contain their values, and the label naming their method."""
    expected = OLD_RUN / "expected-leaderboard.csv"
    with path.open(newline="") as new, expected.open(newline="") as old:
        new_rows, old_rows = list(csv.reader(new)), list(csv.reader(old))
    column = new_rows[0].index("access")
    assert {row[column] for row in new_rows[1:]} == {"white-box"}
    new_rows = [row[:column] + row[column + 1:] for row in new_rows]
    header = new_rows[0]
    assert header == old_rows[0]
    for new_row, old_row in zip(new_rows[1:], old_rows[1:], strict=True):
        new_cells = dict(zip(header, new_row, strict=True))
        old_cells = dict(zip(header, old_row, strict=True))
        assert new_cells["bootstrap"] == old_cells["bootstrap"] + _NEW_SUFFIX
        for name in header:
            if name in _SET_CI and old_cells[name]:
                metric = name.rsplit("_ci_", 1)[0]
                low = float(new_cells[f"{metric}_ci_low"])
                high = float(new_cells[f"{metric}_ci_high"])
                assert low <= float(new_cells[metric]) <= high
            elif name != "bootstrap":
                assert new_cells[name] == old_cells[name], name


def _without_set_intervals(markdown: str) -> str:
    """The page with the KID/FID cells' ``[low, high]`` and the label's new suffix removed."""
    lines = []
    for line in markdown.replace(_NEW_SUFFIX, "").splitlines():
        cells = line.split(" | ")
        if line.startswith("| inverter"):
            header = cells
        elif line.startswith("| ") and not line.startswith("|---"):
            cells = [re.sub(r" \[.*\]", "", c) if re.search(r"\b[fk]id\b", h) else c
                     for c, h in zip(cells, header, strict=True)]  # fmt: skip
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def test_an_old_run_gives_the_leaderboard_it_gave_before(tmp_path):
    invbench("leaderboard", str(OLD_RUN), "--csv", str(tmp_path / "board.csv"))
    _same_board_as_before(tmp_path / "board.csv")
    # white-box rows carry no tag, so the Markdown page is the old one once the per-cell counts
    # ("(n=K)") and the set metrics' new intervals (both issue 14) are set aside
    expected = (OLD_RUN / "expected-leaderboard.md").read_text(encoding="utf-8")
    got = (tmp_path / "board.md").read_text(encoding="utf-8")
    assert " (n=" in got and _OLD_LABEL + _NEW_SUFFIX in got
    counted = re.sub(r" \(n=\d+\)", "", got)
    assert _without_set_intervals(counted) == _without_set_intervals(expected)


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
