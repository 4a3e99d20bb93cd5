"""Leaderboard rows: typed records grouped by (task, task version, inverter, config hash).

Every number must be a pure function of the *set* of records: items are de-duplicated and
sorted by (target id, seed) before anything is averaged or resampled, so shuffling records,
merging shards in another order or re-reading a store can never move a digit. Several seeds of
one target are averaged first, so intervals are over targets (the population we sample), not
over correlated seeds of the same target.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from invbench.leaderboard.extended import safe_mean
from invbench.store.records import Record, SetMetricRef, StoredRecord

AXES = ("alignment", "quality", "interpretability")

GroupKey = tuple[str, int, str, str]  # task, task_version, inverter, inverter_config_hash
ItemKey = tuple[str, int]  # target_id, seed


@dataclass(frozen=True)
class OutputMeta:
    """What a metric output means in one row; ``conflict`` names disagreeing records."""

    signature: str
    higher_is_better: bool | None
    conflict: str | None = None
    set_metric: SetMetricRef | None = None  # for FID/KID-like outputs


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass
class RowGroup:
    """The de-duplicated records of one leaderboard row, keyed by (target id, seed)."""

    key: GroupKey
    items: dict[ItemKey, Record] = field(default_factory=dict)

    def sorted_items(self) -> list[tuple[ItemKey, Record]]:
        return sorted(self.items.items(), key=lambda kv: kv[0])

    def distinct(self, field_of: Callable[[Record], Any]) -> list[Any]:
        """Distinct non-null values of a record field, sorted by their JSON form."""
        seen = {_json(field_of(r)): field_of(r) for r in self.items.values()}
        return [seen[k] for k in sorted(seen) if seen[k] is not None]

    def main_scores(self) -> dict[str, str]:
        """The task's main score per axis, from the first item (by key) that names them."""
        for _, record in self.sorted_items():
            if record.main_scores:
                return {k: v for k, v in record.main_scores.items() if v}
        return {}

    def outputs(self) -> dict[str, OutputMeta]:
        """Per-output signature and direction; disagreement is reported, never averaged over."""
        found: dict[str, dict[str, tuple[str, bool | None, SetMetricRef | None]]] = {}
        for _, record in self.sorted_items():
            for name, info in record.outputs.items():
                value = (info.signature or "?", info.higher_is_better, info.set_metric)
                form = _json([value[0], value[1], info.set_metric and info.set_metric.model_dump()])
                found.setdefault(name, {})[form] = value
            for name in record.scores:
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
        """Values of output ``name`` on ``ok`` items, in item order.

        NaN is no value (a hand-edited or broken record) and is left out, which the output's
        own N shows; ``±inf`` is a value (PSNR of an image identical to its reference) and is
        kept, so a mean over it is infinite rather than silently finite.
        """
        values = {}
        for item, record in self.sorted_items():
            value = record.scores.get(name) if record.status == "ok" else None
            if value is not None and not math.isnan(value):
                values[item] = float(value)
        return values

    def is_proportion(self, name: str) -> bool:
        """True when every record that declares output ``name`` gives it the range [0, 1]: a
        rate, for which 0/1 values are successes (a distance at 0 is not a success count)."""
        ranges = {tuple(r.outputs[name].range) for r in self.items.values() if name in r.outputs}
        return ranges == {(0.0, 1.0)}

    def expected_items(self) -> int:
        """Items the row should have: every (target, seed) of the targets and seeds it has."""
        targets = {target for target, _ in self.items}
        seeds = {seed for _, seed in self.items}
        return len(targets) * len(seeds)

    def covered_items(self) -> int:
        """``ok`` items with a value (not NaN) for the row's main alignment score, or, when the
        task names no per-item main score, ``ok`` items."""
        main = self.main_scores()
        name = main.get("alignment") or next((main[a] for a in AXES if a in main), None)
        output = self.outputs().get(name) if name else None
        if name is None or (output is not None and output.set_metric is not None):
            return sum(r.status == "ok" for r in self.items.values())
        return len(self.ok_values(name))


def per_target_means(values: Mapping[ItemKey, float]) -> tuple[list[str], np.ndarray]:
    """Average the seeds of each target; targets sorted by id so order never matters."""
    by_target: dict[str, list[tuple[int, float]]] = {}
    for (target, seed), value in values.items():
        by_target.setdefault(target, []).append((seed, value))
    targets = sorted(by_target)
    means = [safe_mean([v for _, v in sorted(by_target[t])]) for t in targets]
    return targets, np.asarray(means, dtype=np.float64)


def _preference(record: Record) -> tuple[str, str]:
    """Order duplicates of one item by time, then content: the same winner whatever the order."""
    return (record.time, _json(record.model_dump(mode="json", by_alias=True, exclude_unset=True)))


def group_records(records: Iterable[StoredRecord]) -> dict[GroupKey, RowGroup]:
    """Group item records into leaderboard rows; a duplicated item keeps its latest record."""
    groups: dict[GroupKey, RowGroup] = {}
    for record in records:
        if not isinstance(record, Record):
            continue  # set references are not items
        key = (record.task, record.task_version, record.inverter, record.inverter_config_hash)
        item = (record.target_id, record.seed)
        group = groups.setdefault(key, RowGroup(key))
        old = group.items.get(item)
        if old is None or _preference(record) > _preference(old):
            group.items[item] = record
    return groups
