"""The leaderboard's ``access`` column: query-only rows are labelled; old records are white-box."""

from __future__ import annotations

import csv
import io

import pytest

from invbench.contracts import InvbenchError
from invbench.leaderboard import build_leaderboard, to_csv, to_markdown


def _with_access(records, access):
    return [{**record, "inverter_access": access} for record in records]


def test_rows_show_their_access_class_and_old_records_read_as_white_box(make_run) -> None:
    old = make_run([{"exact_match": 1.0}], inverter="old-adam")
    assert "inverter_access" not in old[0]  # written before access classes existed
    records = old + _with_access(make_run([{"exact_match": 0.0}], inverter="search"),
                                 "query-only")  # fmt: skip
    records += _with_access(make_run([{"exact_match": 0.5}], inverter="new-adam"), "white-box")
    df = build_leaderboard(records)
    assert list(df.columns[df.columns.get_loc("oracle"):][:3]) == ["oracle", "access", "n_targets"]
    assert dict(zip(df["inverter"], df["access"], strict=True)) == {
        "old-adam": "white-box", "search": "query-only", "new-adam": "white-box"}
    rows = {row["inverter"]: row for row in csv.DictReader(io.StringIO(to_csv(df)))}
    assert rows["search"]["access"] == "query-only" and rows["old-adam"]["access"] == "white-box"
    markdown = to_markdown(df)
    assert "search (1a2b3c4d5e6f) [query-only]" in markdown
    assert "old-adam (1a2b3c4d5e6f) |" in markdown  # white-box rows read as before


def test_adding_the_column_leaves_every_other_column_unchanged(make_run) -> None:
    records = make_run([{"exact_match": 1.0, "wer": 0.0}, {"exact_match": 0.0, "wer": 1.0}])
    before = build_leaderboard(records).drop(columns="access")
    after = build_leaderboard(_with_access(records, "white-box")).drop(columns="access")
    assert before.equals(after)


def test_one_row_never_mixes_access_classes(make_run) -> None:
    records = make_run([{"exact_match": 1.0}, {"exact_match": 0.0}])
    records = [records[0], {**records[1], "inverter_access": "query-only"},
               {**records[0], "target_id": "t009", "inverter_access": "white-box"}]
    with pytest.raises(InvbenchError, match="records disagree on inverter_access"):
        build_leaderboard(records)
