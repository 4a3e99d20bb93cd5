"""``invbench compare BASE CANDIDATE``: the CI regression check.

Two runs are compared per (task, task version, inverter) — the config hashes may differ, since
comparing a changed config (or code) against a baseline is the point. Items are paired on
(target id, seed); per-item differences are averaged over seeds per target and bootstrapped over
targets, so per-target difficulty cancels. A comparison is *refused* (``incomparable``) rather
than guessed when the metric's signature or the target set differs: a number computed another
way is not a regression or an improvement, it is a different number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tabulate import tabulate

from invbench.leaderboard.bootstrap import bootstrap_label, paired_bootstrap
from invbench.leaderboard.rows import AXES, RowGroup, group_records, per_target_means
from invbench.leaderboard.set_scores import collect_references, paired_set_difference
from invbench.store.records import StoredRecord, as_records

REGRESSION = "regression"
IMPROVEMENT = "improvement"
NO_CHANGE = "no significant change"
INCOMPARABLE = "incomparable"

MatchKey = tuple[str, int, str]  # task, task_version, inverter


@dataclass(frozen=True)
class CompareRow:
    """One (task, inverter, metric) comparison; ``diff`` and its CI are oriented: + is better."""

    task: str
    task_version: int
    inverter: str
    base_config_hash: str
    cand_config_hash: str
    metric: str
    status: str
    reason: str | None = None
    higher_is_better: bool | None = None
    base_mean: float = float("nan")
    cand_mean: float = float("nan")
    diff: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    n_targets: int = 0
    n_items: int = 0


@dataclass(frozen=True)
class UnmatchedRow:
    """A leaderboard row present on one side only (or not pairable without guessing)."""

    side: str  # "base" or "candidate"
    task: str
    task_version: int
    inverter: str
    config_hash: str
    reason: str


@dataclass
class CompareReport:
    """All comparisons of a base run against a candidate run."""

    rows: list[CompareRow] = field(default_factory=list)
    unmatched: list[UnmatchedRow] = field(default_factory=list)
    tolerance: float = 0.0
    bootstrap: str = ""

    @property
    def has_regression(self) -> bool:
        return any(row.status == REGRESSION for row in self.rows)

    @property
    def has_incomparable(self) -> bool:
        return any(row.status == INCOMPARABLE for row in self.rows)

    def to_text(self) -> str:
        """A plain-text table for a terminal or a CI log."""
        table = [
            [
                f"{r.task}@{r.task_version}",
                r.inverter if r.base_config_hash == r.cand_config_hash
                else f"{r.inverter} ({r.base_config_hash}->{r.cand_config_hash})",
                r.metric + {True: " ↑", False: " ↓"}.get(r.higher_is_better, ""),
                _fmt(r.base_mean), _fmt(r.cand_mean), _fmt(r.diff, signed=True),
                f"[{_fmt(r.ci_low, signed=True)}, {_fmt(r.ci_high, signed=True)}]",
                r.n_targets, r.status + (f": {r.reason}" if r.reason else ""),
            ]
            for r in self.rows
        ]  # fmt: skip
        header = ["task", "inverter", "metric", "base", "cand", "Δ (+ better)", "CI", "N", "result"]
        lines = [tabulate(table, headers=header, tablefmt="simple", disable_numparse=True)]
        if not self.rows:
            lines = ["No comparable rows."]
        for u in self.unmatched:
            lines.append(
                f"unmatched ({u.side}): {u.task}@{u.task_version} {u.inverter} "
                f"({u.config_hash}): {u.reason}"
            )
        lines.append(
            f"Paired {self.bootstrap} bootstrap over targets; tolerance {self.tolerance:g}; "
            f"{sum(r.status == REGRESSION for r in self.rows)} regression(s), "
            f"{sum(r.status == INCOMPARABLE for r in self.rows)} incomparable."
        )
        return "\n".join(lines) + "\n"


def _fmt(value: float, signed: bool = False) -> str:
    if value != value:  # NaN
        return "–"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def _by_match(groups: Iterable[RowGroup]) -> dict[MatchKey, list[RowGroup]]:
    matched: dict[MatchKey, list[RowGroup]] = {}
    for group in sorted(groups, key=lambda g: g.key):
        matched.setdefault(group.key[:3], []).append(group)
    return matched


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
        known = set(base.outputs()) | set(cand.outputs())
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


def _compare_metric(
    base: RowGroup, cand: RowGroup, metric: str, tolerance: float,
    references: tuple[dict, dict], resamples: int, seed: int, level: float,
) -> CompareRow:  # fmt: skip
    ident = dict(
        task=base.key[0], task_version=base.key[1], inverter=base.key[2],
        base_config_hash=base.key[3], cand_config_hash=cand.key[3], metric=metric,
    )  # fmt: skip
    reason = _refusal(base, cand, metric)
    if reason is not None:
        return CompareRow(**ident, status=INCOMPARABLE, reason=reason)
    higher = bool(base.outputs()[metric].higher_is_better)
    meta = base.outputs()[metric]
    if meta.set_metric is not None:
        return _compare_set_metric(base, cand, metric, ident, higher, tolerance, references,
                                   resamples, seed, level)  # fmt: skip
    left, right = base.ok_values(metric), cand.ok_values(metric)
    items = sorted(set(left) & set(right))
    if not items:
        reason = (
            "no (target, seed) item scored ok in both runs"
            if left or right
            else "no item has this metric in either run"
        )
        return CompareRow(**ident, status=INCOMPARABLE, higher_is_better=higher, reason=reason)
    _, base_means = per_target_means({i: left[i] for i in items})
    _, cand_means = per_target_means({i: right[i] for i in items})
    sign = 1.0 if higher else -1.0
    diff, low, high = paired_bootstrap(
        sign * base_means, sign * cand_means, resamples=resamples, seed=seed, level=level
    )
    status = _status(low, high, tolerance)
    return CompareRow(
        **ident, status=status, higher_is_better=higher,
        base_mean=float(base_means.mean()), cand_mean=float(cand_means.mean()),
        diff=diff, ci_low=low, ci_high=high,
        n_targets=len(base_means), n_items=len(items),
    )  # fmt: skip


def compare_runs(
    base_records: Iterable[StoredRecord | Mapping[str, Any]],
    cand_records: Iterable[StoredRecord | Mapping[str, Any]],
    *,
    metrics: Sequence[str] | None = None,
    tolerance: float = 0.0,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> CompareReport:
    """Compare a candidate run against a base run (default metrics: each task's main scores).

    ``regression`` when the CI of the oriented difference lies wholly below ``-tolerance``,
    ``improvement`` when wholly above ``tolerance``; ``tolerance`` is in the metric's units.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    base_records, cand_records = as_records(base_records), as_records(cand_records)
    references = (collect_references(base_records), collect_references(cand_records))
    pairs, unmatched = _pairs(
        _by_match(group_records(base_records).values()),
        _by_match(group_records(cand_records).values()),
    )
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
    )
