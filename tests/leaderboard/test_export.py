"""CSV, Markdown and HTML writers: stable bytes and hostile cell text."""

from __future__ import annotations

import csv
import io

from invbench.leaderboard import build_leaderboard, to_csv, to_html, to_markdown

HOSTILE = ['=HYPERLINK("x")', "@SUM(1)", "+cmd", "-rm", "\tx", "a|b", "<script>alert(1)</script>"]


def _hostile_table(make_run):
    records = []
    for i, name in enumerate(HOSTILE):
        records += make_run([{"exact_match": i / 10, "snr": -0.5}], inverter=name)
    return build_leaderboard(records)


def test_csv_escapes_formula_strings_but_keeps_negative_numbers(make_run, tmp_path) -> None:
    path = tmp_path / "out" / "leaderboard.csv"
    text = to_csv(_hostile_table(make_run), path)
    assert path.read_bytes() == text.encode()
    rows = list(csv.DictReader(io.StringIO(text)))
    names = {row["inverter"] for row in rows}
    assert '\'=HYPERLINK("x")' in names and "'@SUM(1)" in names
    assert {"'+cmd", "'-rm", "'\tx", "a|b", "<script>alert(1)</script>"} <= names
    for row in rows:
        assert float(row["snr"]) == -0.5 and row["snr"] == "-0.5"  # a number, not "'-0.5"
        assert float(row["snr_ci_low"]) == -0.5
        assert not any(cell.startswith(("=", "+", "@")) for cell in row.values())


def test_csv_numbers_have_a_fixed_format(make_record) -> None:
    record = make_record(scores={"exact_match": 1 / 3})
    row = next(csv.DictReader(io.StringIO(to_csv(build_leaderboard([record])))))
    assert row["exact_match"] == "0.333333"
    assert row["n_ok"] == "1" and row["oracle"] == "false" and row["wer"] == ""
    assert _only_lf_line_ends(to_csv(build_leaderboard([record])))


def _only_lf_line_ends(text: str) -> bool:
    return "\r" not in text and text.endswith("\n")


def test_markdown_escapes_pipes_and_html(make_run, tmp_path) -> None:
    text = to_markdown(_hostile_table(make_run), tmp_path / "board.md")
    assert (tmp_path / "board.md").read_text(encoding="utf-8") == text
    assert "a\\|b" in text and "<script>" not in text and "&lt;script&gt;" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    widths = {line.replace("\\|", "").count("|") for line in table}
    assert len(widths) == 1  # every row has as many cells as the header
    assert "exact_match ↑ (alignment)" in text
    assert "percentile,B=1000,seed=0,level=0.95" in text


def test_markdown_shows_main_scores_with_intervals(make_run) -> None:
    df = build_leaderboard(make_run([{"exact_match": 1.0}, {"exact_match": 0.0}]))
    # 1 of 2 targets: a binary row, so the modified Wilson interval (never [0, 1] nor [1, 1])
    assert "| waveform-adam (1a2b3c4d5e6f) | 2 | 100.0% | 0.5 [0.0945, 0.905] (n=2) |" in (
        to_markdown(df)
    )


def test_html_is_static_and_escaped(make_run, tmp_path) -> None:
    text = to_html(_hostile_table(make_run), tmp_path / "index.html")
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == text
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "=HYPERLINK(&quot;x&quot;)" in text
    assert "<style>" in text and 'href="http' not in text and "src=" not in text
    assert "percentile,B=1000,seed=0,level=0.95" in text
    assert "exact_match=exact_match|norm:whisper-english|version:1" in text
    assert text.index("exact_match ↑") < text.index("snr ↑")  # main scores first


def test_writers_are_deterministic(make_run) -> None:
    df = _hostile_table(make_run)
    for writer in (to_csv, to_markdown, to_html):
        assert writer(df) == writer(df.copy())


def test_empty_table(tmp_path) -> None:
    df = build_leaderboard([])
    assert to_csv(df).startswith('"task","task_version",')
    assert "No results" in to_markdown(df) and "No results" in to_html(df)
