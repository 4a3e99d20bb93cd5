"""The leaderboard table: one row per (task, task version, inverter, inverter config hash).

Every number here must be a pure function of the *set* of records: items are de-duplicated and
sorted by (target id, seed) before anything is averaged or resampled, so shuffling records,
merging shards in another order or re-reading a store can never move a digit. Several seeds of
one target are averaged first, so intervals are over targets (the population we sample), not
over correlated seeds of the same target.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from invbench.contracts.errors import InvbenchError
from invbench.leaderboard.bootstrap import bootstrap_ci, bootstrap_label
from invbench.leaderboard.set_scores import (
    ReferenceKey,
    collect_references,
    is_reference,
    set_metric_values,
)
from invbench.store.run_store import RECORD_SCHEMA

AXES = ("alignment", "quality", "interpretability")
COST_FIELDS = ("seconds", "forward_calls", "backward_calls", "steps")
BASE_COLUMNS = [
    "task", "task_version", "target_set", "inverter", "inverter_version", "config_hash",
    "oracle", "access", "n_targets", "n_ok", "coverage",
]  # fmt: skip
TAIL_COLUMNS = ["signatures", "target_set_sha256", "bootstrap"]
METRIC_SUFFIXES = ("", "_ci_low", "_ci_high", "_n")
_REQUIRED = ("task", "task_version", "inverter", "inverter_config_hash", "target_id", "seed")

GroupKey = tuple[str, int, str, str]  # task, task_version, inverter, inverter_config_hash
ItemKey = tuple[str, int]  # target_id, seed


@dataclass(frozen=True)
class OutputMeta:
    """What a metric output means in one row; ``conflict`` names disagreeing records."""

    signature: str
    higher_is_better: bool | None
    conflict: str | None = None
    set_metric: dict[str, Any] | None = None  # {"id", "options"} for FID/KID-like outputs


@dataclass
class RowGroup:
    """The de-duplicated records of one leaderboard row, keyed by (target id, seed)."""

    key: GroupKey
    items: dict[ItemKey, dict[str, Any]] = field(default_factory=dict)

    def sorted_items(self) -> list[tuple[ItemKey, dict[str, Any]]]:
        return sorted(self.items.items(), key=lambda kv: kv[0])

    def distinct(self, name: str) -> list[Any]:
        """Distinct non-null values of a record field, sorted by their JSON form."""
        seen = {json.dumps(r.get(name), sort_keys=True): r.get(name) for r in self.items.values()}
        return [seen[k] for k in sorted(seen) if seen[k] is not None]

    def main_scores(self) -> dict[str, str]:
        """The task's main score per axis, from the first item (by key) that names them."""
        for _, record in self.sorted_items():
            if record.get("main_scores"):
                return {k: v for k, v in record["main_scores"].items() if v}
        return {}

    def outputs(self) -> dict[str, OutputMeta]:
        """Per-output signature and direction; disagreement is reported, never averaged over."""
        found: dict[str, dict[str, tuple[str, bool | None, Any]]] = {}
        for _, record in self.sorted_items():
            for name, meta in (record.get("outputs") or {}).items():
                value = (str(meta.get("signature") or "?"), meta.get("higher_is_better"),
                         meta.get("set_metric"))  # fmt: skip
                found.setdefault(name, {})[json.dumps(value, sort_keys=True)] = value
            for name in record.get("scores") or {}:
                found.setdefault(name, {})
        result = {}
        for name, variants in found.items():
            if not variants:
                result[name] = OutputMeta("?", None)
            elif len(variants) == 1:
                sig, higher, set_metric = next(iter(variants.values()))
                result[name] = OutputMeta(sig, higher, None, set_metric)
            else:
                sigs = "; ".join(f"{s} (higher_is_better={h})" for s, h, _ in variants.values())
                result[name] = OutputMeta("?", None, f"{name!r} has several definitions: {sigs}")
        return result

    def ok_values(self, name: str) -> dict[ItemKey, float]:
        """Finite values of output ``name`` on ``ok`` items, in item order."""
        values = {}
        for item, record in self.sorted_items():
            value = (record.get("scores") or {}).get(name) if record.get("status") == "ok" else None
            if isinstance(value, (int, float)) and math.isfinite(value):
                values[item] = float(value)
        return values


def per_target_means(values: Mapping[ItemKey, float]) -> tuple[list[str], np.ndarray]:
    """Average the seeds of each target; targets sorted by id so order never matters."""
    by_target: dict[str, list[tuple[int, float]]] = {}
    for (target, seed), value in values.items():
        by_target.setdefault(target, []).append((seed, value))
    targets = sorted(by_target)
    means = [float(np.mean([v for _, v in sorted(by_target[t])])) for t in targets]
    return targets, np.asarray(means, dtype=np.float64)


def _preference(record: dict[str, Any]) -> tuple[str, str]:
    """Order duplicates of one item by time, then content: the same winner whatever the order."""
    return (str(record.get("time") or ""), json.dumps(record, sort_keys=True, default=str))


def group_records(records: Iterable[Mapping[str, Any]]) -> dict[GroupKey, RowGroup]:
    """Group records into leaderboard rows; a duplicated item keeps its latest record."""
    groups: dict[GroupKey, RowGroup] = {}
    for record in records:
        if is_reference(record):
            continue
        if int(record.get("schema", RECORD_SCHEMA)) > RECORD_SCHEMA:
            raise InvbenchError(
                f"record {record.get('key')!r} has schema {record['schema']}; this invbench "
                f"reads schema {RECORD_SCHEMA} (upgrade invbench)"
            )
        missing = [name for name in _REQUIRED if record.get(name) is None]
        if missing:
            raise InvbenchError(f"record {record.get('key')!r} lacks fields {missing}")
        key = (
            str(record["task"]), int(record["task_version"]),
            str(record["inverter"]), str(record["inverter_config_hash"]),
        )  # fmt: skip
        item = (str(record["target_id"]), int(record["seed"]))
        group = groups.setdefault(key, RowGroup(key))
        old = group.items.get(item)
        if old is None or _preference(dict(record)) > _preference(old):
            group.items[item] = dict(record)
    return groups


def _task_label(task: str, version: int) -> str:
    return f"{task}@{version}"


def _single(group: RowGroup, name: str) -> Any:
    """A field every record of a row must agree on; mixing would silently mix experiments."""
    values = group.distinct(name)
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
            if isinstance(v := (r.get("cost") or {}).get(name), (int, float)) and math.isfinite(v)
        ]
        costs[f"cost_{name}"] = float(np.mean(values)) if values else float("nan")
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
    statuses = [r.get("status") for _, r in group.sorted_items()]
    n_ok = sum(status == "ok" for status in statuses)
    inverter_versions = group.distinct("inverter_version")
    row: dict[str, Any] = {
        "task": task,
        "task_version": version,
        "target_set": _single(group, "target_set"),
        "inverter": inverter,
        "inverter_version": ",".join(map(str, inverter_versions)) or None,
        "config_hash": config,
        "oracle": any(bool(r.get("oracle")) for r in group.items.values()),
        "access": _single(group, "inverter_access") or "white-box",  # absent: older records
        "n_targets": len({target for target, _ in group.items}),
        "n_ok": n_ok,
        "coverage": n_ok / len(statuses) if statuses else float("nan"),
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
            mean, low, high = bootstrap_ci(
                target_means, resamples=resamples, seed=seed, level=level
            )
            count = len(values)
        row.update({name: mean, f"{name}_ci_low": low, f"{name}_ci_high": high})
        row[f"{name}_n"] = count
    row.update(_cost_means(group))
    row["signatures"] = "; ".join(f"{n}={outputs[n].signature}" for n in sorted(outputs))
    row["target_set_sha256"] = _single(group, "target_set_sha256")
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
    spec = meta.set_metric or {}
    reference = references.get((task, version, str(spec.get("id")), meta.signature))
    return set_metric_values(group.sorted_items(), spec, meta.signature, reference,
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
    records: Iterable[Mapping[str, Any]],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """The leaderboard as a DataFrame (columns documented in docs/runs.md).

    ``n_ok`` and ``<metric>_n`` count (target, seed) items, ``coverage`` is ok items over all
    recorded items, and ``<metric>``/``_ci_low``/``_ci_high`` are the mean over targets (seeds
    averaged per target) and its bootstrap interval. ``df.attrs`` carries, per ``task@version``,
    the main score names and each metric's direction, for the Markdown and HTML views.
    """
    records = list(records)
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
