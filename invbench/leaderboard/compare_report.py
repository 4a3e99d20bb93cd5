"""What ``invbench compare`` reports: one row per (task, inverter, metric) and its verdict.

Kept apart from the comparison itself so the verdict words and the text a CI log shows have one
home. The summary line always says how much was compared, so a pass is never vacuous.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tabulate import tabulate

REGRESSION = "regression"
IMPROVEMENT = "improvement"
NO_CHANGE = "no significant change"
INCOMPARABLE = "incomparable"

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
    base_inverter: str | None = None  # set when two inverters are compared (else = inverter)


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
    version_mismatches: list[tuple[str, str, int, int]] = field(default_factory=list)

    @property
    def n_compared(self) -> int:
        """(row, metric) comparisons that produced an interval (not refused)."""
        return sum(row.status != INCOMPARABLE for row in self.rows)

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
                _inverter_label(r),
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
        for task, inverter, base_v, cand_v in self.version_mismatches:
            lines.append(f"task versions differ: {task} ({inverter}) v{base_v} in base, "
                         f"v{cand_v} in candidate")  # fmt: skip
        pairs = len({(r.task, r.task_version, r.inverter, r.base_config_hash) for r in self.rows})
        lines.append(
            f"Compared {self.n_compared} metric(s) over {pairs} row pair(s) "
            f"({sum(r.n_items for r in self.rows)} paired items); paired {self.bootstrap} "
            f"bootstrap over targets; tolerance {self.tolerance:g}; "
            f"{sum(r.status == REGRESSION for r in self.rows)} regression(s), "
            f"{sum(r.status == INCOMPARABLE for r in self.rows)} incomparable."
        )
        return "\n".join(lines) + "\n"


def _inverter_label(r: CompareRow) -> str:
    if r.base_inverter is not None and r.base_inverter != r.inverter:
        return f"{r.base_inverter} ({r.base_config_hash}) -> {r.inverter} ({r.cand_config_hash})"
    if r.base_config_hash == r.cand_config_hash:
        return r.inverter
    return f"{r.inverter} ({r.base_config_hash}->{r.cand_config_hash})"


def _fmt(value: float, signed: bool = False) -> str:
    if value != value:  # NaN
        return "–"
    return f"{value:+.4g}" if signed else f"{value:.4g}"
