"""Runs one batch: invert, validate, score, save artifacts, and build one record per item.

Nothing here may raise for a bad item: an exception, NaN, a wrong shape or a time-out becomes
that item's status and message, and the other items of the batch are still scored. An item is
``ok`` only when its artifacts are on disk (a failed save is an ``error``, recomputed on resume)
and it kept to the task's budget (else ``over_budget``, see :mod:`invbench.harness.budget_check`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from invbench.contracts.errors import BudgetExhausted, InvalidInversion, InvbenchError
from invbench.contracts.forward_model import CallCounter, ForwardModel
from invbench.contracts.inversion import Inversion, InversionProblem, ProgressHook, Target
from invbench.contracts.inverter import Inverter, inverter_access
from invbench.contracts.metric import Metric
from invbench.contracts.names import check_name
from invbench.contracts.query_access import QueryOnlyModel
from invbench.contracts.task_spec import TaskSpec
from invbench.families.adapter import FamilyAdapter
from invbench.harness.budget_check import over_budget
from invbench.harness.hard_timeout import hard_timeout
from invbench.scoring.apply import apply_metrics
from invbench.store.features import encode_features
from invbench.store.json_safe import info_dict
from invbench.store.run_store import path_inside
from invbench.targets.target_set import TargetItem, TargetSet


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"[:500]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass
class BatchContext:
    spec: TaskSpec
    target_set: TargetSet
    model: ForwardModel
    adapter: FamilyAdapter
    metrics: list[Metric]
    inverter: Inverter
    seed: int
    device: torch.device
    artifacts_dir: Path


def _invert(ctx: BatchContext, items: list[TargetItem], progress: ProgressHook):
    """``(inversions or None, failure status, failure message, seconds, calls)``."""
    forward: ForwardModel | QueryOnlyModel = ctx.model
    if inverter_access(ctx.inverter) == "query-only":  # run only, queries counted and capped
        forward = QueryOnlyModel(ctx.model, ctx.spec.budget.queries_per_target() * len(items))
    problem = InversionProblem(
        task=ctx.spec.key,
        family=ctx.spec.family,
        targets=[Target(item.id, dict(item.target), dict(item.metadata)) for item in items],
        forward=forward,
        budget=ctx.spec.budget,
        seed=ctx.seed,
        device=ctx.device,
        progress=progress,
        carriers=ctx.adapter.carriers(ctx.target_set, items),
        hidden=[dict(item.hidden) for item in items] if ctx.inverter.oracle else None,
    )
    max_seconds = ctx.spec.budget.max_seconds
    hard_limit = None if max_seconds is None else 2 * max_seconds * len(items) + 5
    ctx.model.calls = CallCounter()
    torch.manual_seed(ctx.seed)
    start = time.monotonic()
    inversions, status, message = None, "ok", None
    try:
        with hard_timeout(hard_limit):
            inversions = ctx.inverter.invert(problem)
        if not isinstance(inversions, list) or len(inversions) != len(items):
            got = len(inversions) if isinstance(inversions, list) else type(inversions).__name__
            inversions, status = None, "error"
            message = f"inverter returned {got} results for {len(items)} targets"
    except BudgetExhausted as exc:
        status, message = "timeout", one_line(exc)
    except Exception as exc:  # an inverter's bug is recorded per item, never fatal
        status, message = "error", f"inverter raised {one_line(exc)}"
    seconds = time.monotonic() - start
    return inversions, status, message, seconds, ctx.model.calls.snapshot()


def _score(ctx: BatchContext, items: list[TargetItem], inversions: list[Inversion]):
    """Per item: ``(scores, metric errors, recorded outputs)`` or an exception."""
    try:
        fields, outputs = ctx.adapter.scoring_fields(ctx.model, items, inversions)
        results = apply_metrics(ctx.metrics, fields, len(items))
        return [(r.scores, r.errors, o, r.features) for r, o in zip(results, outputs, strict=True)]
    except Exception as exc:
        if len(items) == 1:
            return [exc]
        # isolate the culprit: score each item alone
        return [_score(ctx, [it], [inv])[0] for it, inv in zip(items, inversions, strict=True)]


def run_batch(ctx: BatchContext, items: list[TargetItem], base: dict[str, Any],
              progress: ProgressHook) -> list[dict[str, Any]]:
    """Records (without keys) for ``items``, in order."""
    inversions, status, message, seconds, (fwd, bwd) = _invert(ctx, items, progress)
    n = len(items)
    records = []
    for i, item in enumerate(items):
        inversion = inversions[i] if inversions is not None else None
        records.append({
            **base,
            "target_id": item.id,
            "status": status,
            "message": message,
            "scores": {},
            "metric_errors": {},
            "cost": {
                "seconds": round(seconds / n, 4),
                "forward_calls": fwd / n,
                "backward_calls": bwd / n,
                "steps": getattr(inversion, "steps", 0),
            },
            "artifacts": {},
            "model_output": {},
            "inverter_info": info_dict(getattr(inversion, "info", None)),
        })
    if inversions is None:
        return records
    valid = []
    for i, inversion in enumerate(inversions):
        try:
            ctx.adapter.validate(inversion, ctx.model)
            valid.append(i)
        except InvalidInversion as exc:
            records[i].update(status=exc.status, message=f"invalid inversion: {exc}")
        except Exception as exc:
            records[i].update(status="error", message=f"invalid inversion: {one_line(exc)}")
    if not valid:
        return records
    scored = _score(ctx, [items[i] for i in valid], [inversions[i] for i in valid])
    for i, result in zip(valid, scored, strict=True):
        record = records[i]
        if isinstance(result, Exception):
            record.update(status="error", message=f"scoring failed: {one_line(result)}")
            continue
        scores, errors, outputs, features = result
        record.update(scores=scores, metric_errors=errors, model_output=outputs)
        if features:
            record["set_features"] = {name: encode_features(f) for name, f in features.items()}
        trace = inversions[i].loss_trace
        if trace:
            record["cost"]["loss_first"] = _finite(trace[0])
            record["cost"]["loss_last"] = _finite(trace[-1])
        _save(ctx, inversions[i], f"{items[i].id}-s{ctx.seed}", record)
    reasons = over_budget(ctx.spec.budget, inverter_access(ctx.inverter),
                          [getattr(inv, "steps", 0) for inv in inversions], fwd, bwd)
    for record, reason in zip(records, reasons, strict=True):
        if reason and record["status"] == "ok":
            record.update(status="over_budget", message=reason)
    return records


def _save(ctx: BatchContext, inversion: Inversion, stem: str, record: dict[str, Any]) -> None:
    """Save an item's artifacts; on failure (a full disk, an unwritable folder, a path outside
    the folder) the item becomes an ``error`` without scores, so a resumed run recomputes it."""
    try:
        paths = ctx.adapter.save_artifacts(inversion, ctx.artifacts_dir, check_name("stem", stem))
        for path in paths.values():
            if not path_inside(ctx.artifacts_dir, path):
                raise InvbenchError(f"{path} lies outside {ctx.artifacts_dir}")
        record["artifacts"] = paths
    except Exception as exc:
        record.pop("set_features", None)
        record.update(status="error", scores={}, message=f"could not save the artifacts of "
                      f"{stem} under {ctx.artifacts_dir}: {one_line(exc)}")
