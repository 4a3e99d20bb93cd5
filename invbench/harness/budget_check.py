"""Did a batch keep to its task's budget? Judged from what the harness counted, per target.

The forward model counts every forward and backward pass per item (a batch of n counts n), the
inverter reports each item's ``Inversion.steps``. An item that was scored but spent more than
the rule below allows is recorded ``over_budget``: its scores are kept to inspect but never
ranked, so a leaderboard row cannot buy its score with more compute than the task allows.

The rule (docs/runs.md), per target:

- white-box: ``steps <= max_steps``; forward passes ``<= max_forward_calls`` when the task sets
  it, else ``<= 2 * max_steps`` (each step one objective pass, plus at most one no-grad check of
  it, as the waveform inverters' full-window confirmation does); backward passes
  ``<= max_steps`` (one gradient per step).
- query-only: ``steps`` (its queries) and forward passes ``<= Budget.queries_per_target()``;
  no backward passes (its handle offers no gradients).

Passes are counted over the whole batch (items share calls), so a batch over its total limit,
``n`` times the per-target one, marks every item it scored; steps are judged item by item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from invbench.contracts.inversion import Budget

PASSES_PER_STEP = 2  # an objective pass and at most one no-grad check of it


@dataclass(frozen=True)
class Allowance:
    """What one target may spend, and how that was derived (for the message)."""

    steps: int
    forward: int
    backward: int
    forward_rule: str


def allowance(budget: Budget, access: str) -> Allowance:
    """The per-target allowance of ``budget`` for an inverter of ``access`` class."""
    if access == "query-only":
        queries = budget.queries_per_target()
        return Allowance(queries, queries, 0, f"{queries} queries per target")
    if budget.max_forward_calls is not None:
        rule = f"max_forward_calls {budget.max_forward_calls}"
        return Allowance(budget.max_steps, budget.max_forward_calls, budget.max_steps, rule)
    forward = PASSES_PER_STEP * budget.max_steps
    rule = f"{PASSES_PER_STEP} per step x max_steps {budget.max_steps}"
    return Allowance(budget.max_steps, forward, budget.max_steps, rule)


def _as_steps(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def over_budget(budget: Budget, access: str, steps: Sequence[object], forward: int,
                backward: int) -> list[str | None]:
    """Per item of a batch: why it went over budget, or None. ``forward``/``backward`` are the
    batch's counted passes, ``steps`` each item's reported steps."""
    n = max(len(steps), 1)
    limit = allowance(budget, access)
    batch_reason = None
    if forward > limit.forward * n:
        batch_reason = (f"{forward / n:g} forward passes per target, the budget allows "
                        f"{limit.forward} ({limit.forward_rule})")
    elif backward > limit.backward * n:
        batch_reason = (f"{backward / n:g} backward passes per target, the budget allows "
                        f"{limit.backward} (one per step, max_steps {budget.max_steps})")
    reasons: list[str | None] = []
    for value in steps:
        reason = batch_reason
        if reason is None and _as_steps(value) > limit.steps:
            reason = f"{value} steps, the budget allows {limit.steps}"
        reasons.append(f"over budget: {reason}" if reason else None)
    return reasons
