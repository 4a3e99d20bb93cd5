"""The leaderboard table: one row per (task, task version, inverter, inverter config hash).

Rows are built from typed records (:mod:`invbench.store.records`) grouped by
:mod:`invbench.leaderboard.rows`, which keeps every number a pure function of the set of
records. A cell is the mean over targets (seeds averaged per target) with a percentile
bootstrap interval, or a score interval when every target's value is 0 or 1 (:mod:`.binary`);
set-level outputs (FID, KID) come from :mod:`.set_scores`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from invbench.contracts.errors import InvbenchError
from invbench.leaderboard.binary import mean_interval
from invbench.leaderboard.bootstrap import bootstrap_label
from invbench.leaderboard.extended import safe_mean
from invbench.leaderboard.rows import (
    AXES,
    OutputMeta,
    RowGroup,
    group_records,
    per_target_means,
)
from invbench.leaderboard.set_scores import ReferenceKey, collect_references, set_metric_values
from invbench.store.records import Record, StoredRecord, as_records

COST_FIELDS = ("seconds", "forward_calls", "backward_calls", "steps")
BASE_COLUMNS = [
    "task", "task_version", "target_set", "inverter", "inverter_version", "config_hash",
    "oracle", "access", "n_targets", "n_ok", "coverage",
]  # fmt: skip
TAIL_COLUMNS = ["signatures", "target_set_sha256", "bootstrap"]
METRIC_SUFFIXES = ("", "_ci_low", "_ci_high", "_n")

__all__ = ["AXES", "BASE_COLUMNS", "COST_FIELDS", "METRIC_SUFFIXES", "TAIL_COLUMNS",
           "build_leaderboard"]


def _task_label(task: str, version: int) -> str:
    return f"{task}@{version}"


def _single(group: RowGroup, name: str, field_of: Callable[[Record], Any]) -> Any:
    """A field every record of a row must agree on; mixing would silently mix experiments."""
    values = group.distinct(field_of)
    if len(values) > 1:
        task, version, inverter, config = group.key
        raise InvbenchError(
            f"{_task_label(task, version)} / {inverter} ({config}): records disagree on {name} "
            f"({', '.join(map(str, values))}); do not merge runs made on different {name}s"
        )
    return values[0] if values else None


def _cost_means(group: RowGroup) -> dict[str, float]:
    """Mean cost per item over every item that reports it (failed items spend budget too)."""
    costs: dict[str, float] = {}
    for name in COST_FIELDS:
        values = [
            float(v)
            for _, r in group.sorted_items()
            if (v := getattr(r.cost, name)) is not None and math.isfinite(v)
        ]
        costs[f"cost_{name}"] = safe_mean(values) if values else float("nan")
    return costs


def _metric_order(groups: list[RowGroup]) -> list[str]:
    """Main scores first (all alignment, then quality, then interpretability), rest by name."""
    ordered: list[str] = []
    mains = [g.main_scores() for g in groups]
    for axis in AXES:
        for main in mains:
            if axis in main and main[axis] not in ordered:
                ordered.append(main[axis])
    names = set().union(*(g.outputs() for g in groups)) if groups else set()
    return ordered + sorted(names - set(ordered))


def _build_row(
    group: RowGroup,
    metrics: list[str],
    resamples: int,
    seed: int,
    level: float,
    references: dict[ReferenceKey, np.ndarray],
) -> dict[str, Any]:
    task, version, inverter, config = group.key
    statuses = [r.status for _, r in group.sorted_items()]
    n_ok = sum(status == "ok" for status in statuses)
    inverter_versions = group.distinct(lambda r: r.inverter_version)
    row: dict[str, Any] = {
        "task": task,
        "task_version": version,
        "target_set": _single(group, "target_set", lambda r: r.target_set),
        "inverter": inverter,
        "inverter_version": ",".join(map(str, inverter_versions)) or None,
        "config_hash": config,
        "oracle": any(r.oracle for r in group.items.values()),
        # older records lack the field: the Record model reads them as white-box
        "access": _single(group, "inverter_access", lambda r: r.inverter_access),
        "n_targets": len({target for target, _ in group.items}),
        "n_ok": n_ok,
        # items with a main score over the (target, seed) grid the row should have filled
        "coverage": group.covered_items() / group.expected_items() if statuses else float("nan"),
    }
    outputs = group.outputs()
    set_values: dict[str, tuple[float, float, float, int]] = {}
    for name in metrics:
        if name in outputs and outputs[name].conflict:
            raise InvbenchError(
                f"{_task_label(task, version)} / {inverter}: {outputs[name].conflict}"
            )
        meta = outputs.get(name)
        if meta is not None and meta.set_metric is not None:
            if name not in set_values:
                set_values.update(_set_values(group, meta, resamples, seed, level, references))
            mean, low, high, count = set_values[name]
        else:
            values = group.ok_values(name)
            _, target_means = per_target_means(values)
            mean, low, high = mean_interval(target_means, resamples=resamples, seed=seed,
                                            level=level, proportion=group.is_proportion(name))
            count = len(values)
        row.update({name: mean, f"{name}_ci_low": low, f"{name}_ci_high": high})
        row[f"{name}_n"] = count
    row.update(_cost_means(group))
    row["signatures"] = "; ".join(f"{n}={outputs[n].signature}" for n in sorted(outputs))
    row["target_set_sha256"] = _single(group, "target_set_sha256", lambda r: r.target_set_sha256)
    row["bootstrap"] = bootstrap_label(resamples=resamples, seed=seed, level=level)
    return row


def _set_values(
    group: RowGroup,
    meta: OutputMeta,
    resamples: int,
    seed: int,
    level: float,
    references: dict[ReferenceKey, np.ndarray],
) -> dict[str, tuple[float, float, float, int]]:
    task, version, _, _ = group.key
    assert meta.set_metric is not None  # only set-level outputs come here
    reference = references.get((task, version, meta.set_metric.id, meta.signature))
    return set_metric_values(group.sorted_items(), meta.set_metric, meta.signature, reference,
                             resamples=resamples, seed=seed, level=level)  # fmt: skip


def _sort_key(row: dict[str, Any], group: RowGroup) -> tuple[Any, ...]:
    """Task, version, then the main alignment score best first; unscored rows last."""
    name = group.main_scores().get("alignment")
    value = row.get(name) if name else None
    higher = group.outputs().get(name, OutputMeta("?", True)).higher_is_better is not False
    scored = isinstance(value, float) and math.isfinite(value)
    badness = (-value if higher else value) if scored else 0.0
    return (row["task"], row["task_version"], not scored, badness, row["inverter"],
            row["config_hash"])  # fmt: skip


def build_leaderboard(
    records: Iterable[StoredRecord | Mapping[str, Any]],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """The leaderboard as a DataFrame (columns documented in docs/runs.md): base columns, then
    per metric ``<m>``, ``<m>_ci_low``, ``<m>_ci_high``, ``<m>_n`` (main scores first), then mean
    costs and the tail columns.

    ``n_ok`` and ``<metric>_n`` count (target, seed) items, ``coverage`` is ok items with a
    main (alignment) score over every (target, seed) of the row's targets and seeds, and
    ``<metric>``/``_ci_low``/``_ci_high`` are the mean over targets (seeds averaged per
    target) and its interval: percentile bootstrap, modified Wilson when every per-target value
    is 0 or 1 (``inf`` when an item's value is infinite).
    ``df.attrs`` carries, per ``task@version``, the main score names and each metric's direction,
    for the Markdown and HTML views.
    """
    records = as_records(records)  # mappings (e.g. hand-built) are validated first
    references = collect_references(records)
    groups = sorted(group_records(records).values(), key=lambda g: g.key)
    metrics = _metric_order(groups)
    keyed = [(_build_row(g, metrics, resamples, seed, level, references), g) for g in groups]
    keyed.sort(key=lambda pair: _sort_key(*pair))
    columns = BASE_COLUMNS + [m + s for m in metrics for s in METRIC_SUFFIXES]
    columns += [f"cost_{name}" for name in COST_FIELDS] + TAIL_COLUMNS
    df = pd.DataFrame([row for row, _ in keyed], columns=columns)
    main_scores: dict[str, dict[str, str]] = {}
    directions: dict[str, dict[str, bool | None]] = {}
    for group in groups:
        label = _task_label(group.key[0], group.key[1])
        main_scores.setdefault(label, group.main_scores())
        for name, meta in group.outputs().items():
            directions.setdefault(label, {}).setdefault(name, meta.higher_is_better)
    df.attrs["main_scores"] = main_scores
    df.attrs["higher_is_better"] = directions
    df.attrs["bootstrap"] = bootstrap_label(resamples=resamples, seed=seed, level=level)
    return df
