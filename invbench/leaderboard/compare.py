"""``invbench compare BASE CANDIDATE``: the CI regression check.

Two runs are compared per (task, task version, inverter) — the config hashes may differ, since
comparing a changed config (or code) against a baseline is the point. Items are paired on
(target id, seed); per-item differences are averaged over seeds per target and bootstrapped over
targets, so per-target difficulty cancels. A comparison is *refused* (``incomparable``) rather
than guessed when the metric's signature or the target set differs: a number computed another
way is not a regression or an improvement, it is a different number.

Two inverters can also be compared (a candidate method against a baseline, in one run or two):
rows then pair by (task, version) and items by (target, seed), with the same paired bootstrap.
Cost columns (``cost_seconds``, ...) compare like a lower-is-better metric when asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from invbench.contracts.errors import InvbenchError
from invbench.leaderboard.bootstrap import bootstrap_label
from invbench.leaderboard.compare_report import (
    IMPROVEMENT,
    INCOMPARABLE,
    NO_CHANGE,
    REGRESSION,
    CompareReport,
    CompareRow,
    UnmatchedRow,
)
from invbench.leaderboard.extended import safe_mean, scaled_paired_bootstrap
from invbench.leaderboard.rows import AXES, ItemKey, RowGroup, group_records, per_target_means
from invbench.leaderboard.set_scores import collect_references, paired_set_difference
from invbench.leaderboard.table import COST_FIELDS
from invbench.plugins.registry import unknown_name_message
from invbench.store.records import Record, StoredRecord, as_records

MatchKey = tuple[str, int, str]  # task, task_version, inverter ("" across two inverters)
# Cost columns compare like a metric: lower is better, no signature (same hardware is the
# user's promise); every item that reports its cost counts, failed ones spend budget too.
COSTS = {f"cost_{name}": name for name in COST_FIELDS}


def _by_match(groups: Iterable[RowGroup], across: bool) -> dict[MatchKey, list[RowGroup]]:
    """Rows by (task, version, inverter); ``across`` two inverters, by (task, version) only."""
    matched: dict[MatchKey, list[RowGroup]] = {}
    for group in sorted(groups, key=lambda g: g.key):
        key = (group.key[0], group.key[1], "" if across else group.key[2])
        matched.setdefault(key, []).append(group)
    return matched


def _version_mismatches(
    unmatched: list[UnmatchedRow], across: bool
) -> list[tuple[str, str, int, int]]:
    """Rows left unpaired only because the task version differs (a CI check that compares
    nothing must say why, not pass)."""
    def key(u: UnmatchedRow) -> tuple[str, str]:
        return (u.task, "" if across else u.inverter)

    cand = {key(u): u.task_version for u in unmatched if u.side == "candidate"}
    found = set()
    for u in unmatched:
        other = cand.get(key(u))
        if u.side == "base" and other is not None and other != u.task_version:
            found.add((u.task, u.inverter, u.task_version, other))
    return sorted(found)


def _pairs(
    base: dict[MatchKey, list[RowGroup]], cand: dict[MatchKey, list[RowGroup]]
) -> tuple[list[tuple[RowGroup, RowGroup]], list[UnmatchedRow]]:
    """Pair rows; with several configs per side only equal config hashes pair (no guessing)."""
    pairs, unmatched = [], []
    for key in sorted(set(base) | set(cand)):
        left, right = base.get(key, []), cand.get(key, [])
        if len(left) == 1 and len(right) == 1:
            pairs.append((left[0], right[0]))
            continue
        right_by_hash = {g.key[3]: g for g in right}
        for group in left:
            if group.key[3] in right_by_hash:
                pairs.append((group, right_by_hash.pop(group.key[3])))
            else:
                unmatched.append(_unmatched("base", group, bool(right)))
        paired = {b.key[3] for b, _ in pairs if b.key[:3] == key}
        for group in right:
            if group.key[3] not in paired:
                unmatched.append(_unmatched("candidate", group, bool(left)))
    return pairs, unmatched


def _unmatched(side: str, group: RowGroup, other_has_key: bool) -> UnmatchedRow:
    reason = (
        "several configs of this inverter and no equal config hash on the other side"
        if other_has_key else "absent from the other run"
    )  # fmt: skip
    return UnmatchedRow(side, group.key[0], group.key[1], group.key[2], group.key[3], reason)


def _metrics_for(base: RowGroup, cand: RowGroup, metrics: Sequence[str] | None) -> list[str]:
    if metrics is not None:
        known = set(base.outputs()) | set(cand.outputs()) | set(COSTS)
        return [m for m in metrics if m in known]  # a metric a task lacks is not applicable
    names: list[str] = []
    for main in (base.main_scores(), cand.main_scores()):
        names += [main[a] for a in AXES if a in main and main[a] not in names]
    return names


def _refusal(base: RowGroup, cand: RowGroup, metric: str) -> str | None:
    """Why these two rows cannot be compared on ``metric`` (None if they can)."""
    base_sets = base.distinct(lambda r: r.target_set_sha256)
    cand_sets = cand.distinct(lambda r: r.target_set_sha256)
    if len(base_sets) > 1 or len(cand_sets) > 1:
        return "a run mixes several target sets"
    if base_sets != cand_sets:
        return "target set differs (target_set_sha256)"
    if metric in COSTS:
        return None
    left, right = base.outputs().get(metric), cand.outputs().get(metric)
    if left is None or right is None:
        return f"metric absent from the {'base' if left is None else 'candidate'} run"
    if left.conflict or right.conflict:
        return "metric has several signatures within one run"
    if left.signature != right.signature:
        return f"signature differs: {left.signature} vs {right.signature}"
    if left.higher_is_better is None or left.higher_is_better != right.higher_is_better:
        return "direction (higher_is_better) unknown or differs"
    return None


def _status(low: float, high: float, tolerance: float) -> str:
    if high < -tolerance:
        return REGRESSION
    if low > tolerance:
        return IMPROVEMENT
    return NO_CHANGE


def _compare_set_metric(
    base: RowGroup, cand: RowGroup, metric: str, ident: dict[str, Any], higher: bool,
    tolerance: float, references: tuple[dict, dict], resamples: int, seed: int, level: float,
) -> CompareRow:  # fmt: skip
    """FID/KID-like outputs: both sides recomputed on the same resampled shared targets."""
    meta = base.outputs()[metric]
    spec = meta.set_metric
    assert spec is not None  # only set-level outputs come here
    key = (base.key[0], base.key[1], spec.id, meta.signature)
    ref_base, ref_cand = references[0].get(key), references[1].get(key)
    if ref_base is None or ref_cand is None or not np.array_equal(ref_base, ref_cand):
        reason = "reference-pool features missing or different between the runs"
        return CompareRow(**ident, status=INCOMPARABLE, higher_is_better=higher, reason=reason)
    result = paired_set_difference(base.items, cand.items, spec, metric, ref_base,
                                   resamples=resamples, seed=seed, level=level)  # fmt: skip
    if result is None:
        reason = "fewer than two (target, seed) items featured ok in both runs"
        return CompareRow(**ident, status=INCOMPARABLE, higher_is_better=higher, reason=reason)
    base_value, cand_value, diff, low, high, n_targets, n_items = result
    sign = 1.0 if higher else -1.0
    low, high = sorted((sign * low, sign * high))
    return CompareRow(
        **ident, status=_status(low, high, tolerance), higher_is_better=higher,
        base_mean=base_value, cand_mean=cand_value, diff=sign * diff, ci_low=low, ci_high=high,
        n_targets=n_targets, n_items=n_items,
    )  # fmt: skip


def _values(group: RowGroup, metric: str) -> dict[ItemKey, float]:
    """Per-item values of an output (``ok`` items) or of a cost column (every item)."""
    if metric not in COSTS:
        return group.ok_values(metric)
    values = {}
    for item, record in group.sorted_items():
        value = getattr(record.cost, COSTS[metric])
        if value is not None and not np.isnan(value):
            values[item] = float(value)
    return values


def _compare_metric(
    base: RowGroup, cand: RowGroup, metric: str, tolerance: float,
    references: tuple[dict, dict], resamples: int, seed: int, level: float,
) -> CompareRow:  # fmt: skip
    ident = dict(
        task=base.key[0], task_version=base.key[1], inverter=base.key[2],
        base_config_hash=base.key[3], cand_config_hash=cand.key[3], metric=metric,
    )  # fmt: skip
    if base.key[2] != cand.key[2]:
        ident["base_inverter"] = base.key[2]
        ident["inverter"] = cand.key[2]
    reason = _refusal(base, cand, metric)
    if reason is not None:
        return CompareRow(**ident, status=INCOMPARABLE, reason=reason)
    meta = base.outputs().get(metric)
    higher = False if meta is None else bool(meta.higher_is_better)  # None only for costs
    if meta is not None and meta.set_metric is not None:
        return _compare_set_metric(base, cand, metric, ident, higher, tolerance, references,
                                   resamples, seed, level)  # fmt: skip
    left, right = _values(base, metric), _values(cand, metric)
    both = sorted(set(left) & set(right))
    items = [i for i in both if np.isfinite(left[i]) and np.isfinite(right[i])]
    note = (f"{len(both) - len(items)} paired item(s) with an infinite value left out"
            if len(items) < len(both) else None)  # fmt: skip
    if not items:
        reason = (
            "no (target, seed) item scored ok in both runs"
            if left or right
            else "no item has this metric in either run"
        )
        return CompareRow(**ident, status=INCOMPARABLE, higher_is_better=higher,
                          reason=note or reason)  # fmt: skip
    _, base_means = per_target_means({i: left[i] for i in items})
    _, cand_means = per_target_means({i: right[i] for i in items})
    sign = 1.0 if higher else -1.0
    diff, low, high = scaled_paired_bootstrap(
        sign * base_means, sign * cand_means, resamples=resamples, seed=seed, level=level
    )
    status = _status(low, high, tolerance)
    return CompareRow(
        **ident, status=status, higher_is_better=higher, reason=note,
        base_mean=safe_mean(base_means), cand_mean=safe_mean(cand_means),
        diff=diff, ci_low=low, ci_high=high,
        n_targets=len(base_means), n_items=len(items),
    )  # fmt: skip


def _select(records: list[StoredRecord], inverter: str | None, side: str) -> list[StoredRecord]:
    """One inverter's records (and every set reference); an absent name is a one-line error."""
    if inverter is None:
        return records
    names = sorted({r.inverter for r in records if isinstance(r, Record)})
    if inverter not in names:
        raise InvbenchError(unknown_name_message(f"{side} inverter", inverter, names))
    return [r for r in records if not isinstance(r, Record) or r.inverter == inverter]


def _check_metrics(metrics: Sequence[str], groups: list[RowGroup]) -> None:
    """A requested metric that neither run has is a typo, not "not applicable"."""
    known = sorted(set().union(*(g.outputs() for g in groups)) | set(COSTS))
    for name in metrics:
        if name not in known:
            message = unknown_name_message("metric", name, known)
            raise InvbenchError(message.replace("unknown metric", "no run has metric", 1))


def compare_runs(
    base_records: Iterable[StoredRecord | Mapping[str, Any]],
    cand_records: Iterable[StoredRecord | Mapping[str, Any]],
    *,
    metrics: Sequence[str] | None = None,
    tolerance: float = 0.0,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    base_inverter: str | None = None,
    cand_inverter: str | None = None,
) -> CompareReport:
    """Compare a candidate run against a base run (default metrics: each task's main scores).

    ``regression`` when the CI of the oriented difference lies wholly below ``-tolerance``,
    ``improvement`` when wholly above ``tolerance``; ``tolerance`` is in the metric's units.
    With ``base_inverter`` and ``cand_inverter`` (both or neither), one inverter's rows are
    compared against another's, paired by (task, version) and items by (target, seed); the two
    record sets may be the same run.
    """
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise InvbenchError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
    across = base_inverter is not None or cand_inverter is not None
    if across and (base_inverter is None or cand_inverter is None):
        raise InvbenchError("name both the baseline and the candidate inverter, or neither")
    base_records = _select(as_records(base_records), base_inverter, "baseline")
    cand_records = _select(as_records(cand_records), cand_inverter, "candidate")
    references = (collect_references(base_records), collect_references(cand_records))
    base_groups = list(group_records(base_records).values())
    cand_groups = list(group_records(cand_records).values())
    if metrics is not None:
        _check_metrics(metrics, base_groups + cand_groups)
    pairs, unmatched = _pairs(_by_match(base_groups, across), _by_match(cand_groups, across))
    rows = [
        _compare_metric(base, cand, metric, tolerance, references, resamples, seed, level)
        for base, cand in pairs
        for metric in _metrics_for(base, cand, metrics)
    ]
    return CompareReport(
        rows=rows,
        unmatched=unmatched,
        tolerance=tolerance,
        bootstrap=bootstrap_label(resamples=resamples, seed=seed, level=level),
        version_mismatches=_version_mismatches(unmatched, across),
    )
