"""``invbench.evaluate``: run inverters on tasks from Python (a notebook, a script).

This is the one way an evaluation starts: ``invbench evaluate`` parses its options and calls
this function, so a notebook and the command line resolve names, check inputs, resume and write
the run folder identically. Example (a few seconds on a CPU)::

    import invbench
    results = invbench.evaluate(tasks="captioner/mini", inverters=["noise"], limit=2,
                                out="runs/notebook", progress=False)
    results.leaderboard()      # the table `invbench leaderboard runs/notebook` writes
    results.to_pandas()        # one row per (task, inverter, target, seed) item
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from invbench.api.resolve import (
    as_list,
    parse_shard,
    positive,
    resolve_inverters,
    resolve_tasks,
    seed_list,
    unique,
)
from invbench.api.results import EvaluationResults
from invbench.contracts.inverter import Inverter
from invbench.contracts.task_spec import TaskSpec
from invbench.harness.evaluation import EvaluationPlan
from invbench.harness.evaluation import evaluate as run_plan
from invbench.plugins.task_catalog import TaskCatalog

TaskLike = str | TaskSpec
InverterLike = str | Inverter


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _call_text(tasks: list[TaskSpec], inverters: list[Inverter], settings: dict[str, Any]
               ) -> list[str]:
    """What the run manifest records as this session's command line."""
    given = {k: v for k, v in settings.items() if v not in (None, False, (), [])}
    args = [f"tasks={[s.key for s in tasks]!r}", f"inverters={[i.name for i in inverters]!r}"]
    args += [f"{k}={v!r}" for k, v in given.items()]
    return [f"invbench.evaluate({', '.join(args)})"]


def evaluate(
    tasks: TaskLike | Sequence[TaskLike] | None = None,
    inverters: InverterLike | Sequence[InverterLike] | None = None,
    *,
    suite: str | None = None,
    limit: int | None = None,
    seeds: int | Sequence[int] | None = None,
    batch_size: int | None = None,
    device: str = "cpu",
    out: str | Path | None = None,
    overwrite: bool = False,
    shard: str | tuple[int, int] | None = None,
    include_path: str | Path | Sequence[str | Path] = (),
    inverter_options: Mapping[str, Mapping[str, Any]] | None = None,
    wait_for_lock: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = _stderr,
    command_line: Sequence[str] | None = None,
) -> EvaluationResults:
    """Run ``inverters`` on ``tasks``, score every item and return the run's results.

    ``tasks``: names (``"asr/mini"``, ``"asr/mini@1"``) or ``TaskSpec`` objects; with neither
    tasks nor ``suite``, the ``mini`` suite. ``inverters``: registered names (configured by
    ``inverter_options``, e.g. ``{"waveform-adam": {"steps": 50}}``) and configured inverter
    objects, mixed freely; by default every built-in inverter. ``limit``, ``seeds`` and
    ``batch_size`` override each task's defaults. ``out`` is the run folder (default
    ``runs/<suite>``, or ``runs/custom`` for explicit tasks); an existing one is resumed, its
    completed items kept unless ``overwrite``. ``shard`` (``"i/N"``) runs a slice.
    ``include_path`` adds folders of task YAML (and their ``targets/``). A seed or inverter
    given twice runs once (with a notice). Another process running in ``out`` is an error,
    unless ``wait_for_lock``: then this call waits for it to finish.

    Every name, setting and target set is checked before any compute; a problem raises
    ``InvbenchError`` with a one-line message (unknown names come with "did you mean").
    """
    catalog = TaskCatalog(as_list(include_path))
    specs = resolve_tasks(catalog, tasks, suite)
    resolved = resolve_inverters(inverters, inverter_options, log)
    seed_values = seed_list(seeds)
    settings = {"suite": suite, "limit": positive("limit", limit),
                "seeds": unique(seed_values, "seed", log) if seed_values else None,
                "batch_size": positive("batch_size", batch_size), "device": device,
                "shard": parse_shard(shard), "overwrite": overwrite}
    plan = EvaluationPlan(
        tasks=specs, inverters=resolved, target_dirs=catalog.target_dirs(),
        seeds=settings["seeds"], limit=limit, batch_size=batch_size, device=device,
        shard=settings["shard"], overwrite=overwrite,
        explicit_inverters=bool(as_list(inverters)), wait_for_lock=wait_for_lock,
    )  # fmt: skip
    if out is None:
        out = Path("runs") / (suite or ("custom" if as_list(tasks) else "mini"))
    if command_line is None:
        command_line = _call_text(specs, resolved, {**settings, "out": str(out)})
    store = run_plan(plan, out, list(command_line), progress=progress, log=log)
    return EvaluationResults(store.root)
