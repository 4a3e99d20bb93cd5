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


def _same_board_as_before(path: Path) -> None:
    """``path`` holds the old code's leaderboard cell for cell, plus the ``access`` column added
    since (old records carry no access class: they read as white-box)."""
    expected = OLD_RUN / "expected-leaderboard.csv"
    with path.open(newline="") as new, expected.open(newline="") as old:
        new_rows, old_rows = list(csv.reader(new)), list(csv.reader(old))
    column = new_rows[0].index("access")
    assert {row[column] for row in new_rows[1:]} == {"white-box"}
    assert [row[:column] + row[column + 1:] for row in new_rows] == old_rows


def test_an_old_run_gives_the_leaderboard_it_gave_before(tmp_path):
    invbench("leaderboard", str(OLD_RUN), "--csv", str(tmp_path / "board.csv"))
    _same_board_as_before(tmp_path / "board.csv")
    # white-box rows carry no tag, so the Markdown page is byte for byte the old one once the
    # per-cell counts added since ("(n=K)", issue 14) are set aside
    expected = (OLD_RUN / "expected-leaderboard.md").read_text(encoding="utf-8")
    page = (tmp_path / "board.md").read_text(encoding="utf-8")
    assert " (n=" in page
    assert re.sub(r" \(n=\d+\)", "", page) == expected


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
