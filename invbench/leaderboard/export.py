"""Writing the leaderboard: CSV (for tools), Markdown (for READMEs) and a static HTML page.

Names in a leaderboard come from whoever wrote an inverter, so every writer treats cell text as
hostile: CSV cells that a spreadsheet would run as a formula are defused, Markdown cells cannot
break the table, and HTML is escaped with no script at all. Floats have one fixed format, so the
same table always gives the same bytes (and a diff of a published CSV shows only real changes).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from invbench.fs.atomic import atomic_write_bytes
from invbench.leaderboard.table import AXES, BASE_COLUMNS, COST_FIELDS, TAIL_COLUMNS

FLOAT_FORMAT = "%.6g"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NOT_METRIC = set(BASE_COLUMNS + TAIL_COLUMNS + [f"cost_{n}" for n in COST_FIELDS])


def _csv_cell(value: Any) -> str:
    """One cell as CSV text: numbers bare in a fixed format (``inf`` for an infinite mean, empty
    for none), every string quoted (so a CR or LF inside a name cannot end the row) and
    defused against formula injection by a leading ``'``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return FLOAT_FORMAT % float(value)
    text = str(value)
    text = "'" + text if text.startswith(_FORMULA_PREFIXES) else text
    return '"' + text.replace('"', '""') + '"'


def _write(text: str, path: str | Path | None) -> str:
    """Write atomically: a crash or a full disk leaves the old file, never a truncated one."""
    if path is not None:
        atomic_write_bytes(Path(path), text.encode("utf-8"))
    return text


def to_csv(df: pd.DataFrame, path: str | Path | None = None) -> str:
    """Write ``df`` as CSV (UTF-8, ``\\n`` line ends) and return the text.

    Only strings are quoted and escaped (a leading ``'``): a negative score stays a number a
    spreadsheet can sum, while an inverter named ``=HYPERLINK(...)`` stays inert text.
    """
    lines = [",".join(_csv_cell(str(c)) for c in df.columns)]
    lines += [",".join(_csv_cell(v) for v in row) for row in df.itertuples(index=False, name=None)]
    return _write("\n".join(lines) + "\n", path)


def _num(value: Any) -> str:
    """``–`` only for no value; an infinite mean (PSNR of identical images) reads ``inf``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.3g}"


def _count(row: pd.Series, name: str) -> str:
    count = row.get(f"{name}_n")
    return "" if count is None or count != count else f" (n={int(count)})"


def _with_ci(row: pd.Series, name: str) -> str:
    """``mean [low, high] (n=K)``: every cell says how many items its number rests on."""
    if _num(row.get(name)) == "–":
        return "–" + _count(row, name)
    interval = f"[{_num(row[f'{name}_ci_low'])}, {_num(row[f'{name}_ci_high'])}]"
    return f"{_num(row[name])} {interval}{_count(row, name)}"


def _task_views(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame, list[str], list[str]]]:
    """Per ``task@version``: its rows, its main score names, and its other scored metrics."""
    metrics = [c for c in df.columns if c not in _NOT_METRIC and not c.endswith(
        ("_ci_low", "_ci_high", "_n"))]  # fmt: skip
    views = []
    for (task, version), rows in df.groupby(["task", "task_version"], sort=True):
        label = f"{task}@{version}"
        main_map = df.attrs.get("main_scores", {}).get(label, {})
        mains = [main_map[a] for a in AXES if main_map.get(a) in metrics]
        present = [m for m in metrics if (rows[f"{m}_n"] > 0).any()]
        views.append((label, rows, mains, [m for m in present if m not in mains]))
    return views


def _arrow(df: pd.DataFrame, label: str, name: str) -> str:
    higher = df.attrs.get("higher_is_better", {}).get(label, {}).get(name)
    return {True: " ↑", False: " ↓"}.get(higher, "")


def _inverter_cell(row: pd.Series) -> str:
    tags = " [oracle]" if row["oracle"] else ""
    tags += " [query-only]" if row.get("access") == "query-only" else ""
    return f"{row['inverter']} ({row['config_hash']}){tags}"


def _md_escape(value: Any) -> str:
    text = html.escape(str(value), quote=False).replace("|", "\\|")
    return " ".join(text.split())  # a newline would end the table row


def to_markdown(df: pd.DataFrame, path: str | Path | None = None) -> str:
    """A compact Markdown view, one table per task: main scores as ``mean [low, high]`` first."""
    out = []
    for label, rows, mains, others in _task_views(df):
        axis_of = {v: k for k, v in df.attrs.get("main_scores", {}).get(label, {}).items()}
        header = ["inverter", "N", "coverage"]
        header += [f"{m}{_arrow(df, label, m)} ({axis_of.get(m, '')})" for m in mains]
        header += [f"{m}{_arrow(df, label, m)}" for m in others]
        out += [f"### {_md_escape(label)}", ""]
        out.append("| " + " | ".join(_md_escape(h) for h in header) + " |")
        out.append("|" + "---|" * len(header))
        for _, row in rows.iterrows():
            cells = [_inverter_cell(row), row["n_targets"], f"{row['coverage']:.1%}"]
            cells += [_with_ci(row, m) for m in mains]
            cells += [_num(row[m]) + _count(row, m) for m in others]
            out.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
        out.append("")
    if df.empty:
        out.append("_No results._\n")
    out.append(
        f"Intervals: {_md_escape(df.attrs.get('bootstrap', _bootstrap_of(df)))} over targets."
    )
    return _write("\n".join(out) + "\n", path)


def _bootstrap_of(df: pd.DataFrame) -> str:
    values = sorted(set(df["bootstrap"])) if "bootstrap" in df and not df.empty else []
    return ", ".join(values) or "bootstrap settings unknown"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0 2.5em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f2f2f2}td.name{text-align:left}th.main{background:#e3ecf7}
caption{caption-side:bottom;text-align:left;font-size:.8em;color:#555;padding-top:.5em}
.ci{color:#777;font-size:.85em}code{word-break:break-all}
"""


def to_html(df: pd.DataFrame, path: str | Path | None = None) -> str:
    """A static, self-contained HTML page (inline CSS, no JavaScript), one table per task."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>invbench leaderboard</title>',
        f"<style>{_CSS}</style></head><body><h1>invbench leaderboard</h1>",
    ]
    for label, rows, mains, others in _task_views(df):
        axis_of = {v: k for k, v in df.attrs.get("main_scores", {}).get(label, {}).items()}
        # The caption must be the table's first child; CSS shows it below the table.
        parts.append(f"<h2>{esc(label)}</h2><table><caption>{_caption(rows)}</caption>")
        parts.append("<thead><tr>")
        parts += [f"<th>{esc(h)}</th>" for h in ("inverter", "N", "coverage")]
        parts += [
            f'<th class="main">{esc(m + _arrow(df, label, m))}<br>'
            f'<span class="ci">{esc(axis_of.get(m, ""))}</span></th>'
            for m in mains
        ]
        parts += [f"<th>{esc(m + _arrow(df, label, m))}</th>" for m in others]
        parts.append("</tr></thead><tbody>")
        for _, row in rows.iterrows():
            parts.append(f'<tr><td class="name">{esc(_inverter_cell(row))}</td>')
            parts.append(f"<td>{esc(str(row['n_targets']))}</td>")
            parts.append(f"<td>{esc(format(row['coverage'], '.1%'))}</td>")
            for m in mains:
                mean, _, ci = _with_ci(row, m).partition(" ")
                ci_html = f' <span class="ci">{esc(ci)}</span>' if ci else ""
                parts.append(f"<td>{esc(mean)}{ci_html}</td>")
            parts += [f'<td>{esc(_num(row[m]))}<span class="ci">{esc(_count(row, m))}</span></td>'
                      for m in others]  # fmt: skip
            parts.append("</tr>")
        parts.append("</tbody></table>")
    if df.empty:
        parts.append("<p>No results.</p>")
    parts.append("</body></html>")
    return _write("\n".join(parts) + "\n", path)


def _caption(rows: pd.DataFrame) -> str:
    """Bootstrap settings, target set and every metric signature used in this task's table."""
    esc = html.escape
    sets = sorted(
        {
            f"{s} (sha256 {h})"
            for s, h in zip(rows["target_set"], rows["target_set_sha256"], strict=True)
        }
    )
    signatures = sorted({s for cell in rows["signatures"] for s in str(cell).split("; ") if s})
    lines = [
        f"Mean over targets with {esc(_bootstrap_of(rows))} bootstrap interval; "
        "N = targets; n = items a number rests on; coverage = ok items with a main score / "
        "every (target, seed) of the row; inf = infinite (e.g. PSNR of identical images), "
        "– = no value.",
        "Target set: " + esc(", ".join(sets)),
        "Signatures: " + "<br>".join(f"<code>{esc(s)}</code>" for s in signatures),
    ]
    return "<br>".join(lines)
