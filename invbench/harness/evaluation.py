"""``invbench evaluate``: every (task, inverter, seed, target) item, resumable and isolated.

Everything that can be checked before compute is checked first (names, target-set checksums,
metric names, inverter/family fit). Then each item is run, scored and appended to the store the
moment its batch finishes; an item already ``ok`` in the store is skipped unless ``overwrite``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from invbench.contracts.errors import InvbenchError
from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.inverter import Inverter, config_hash, inverter_access
from invbench.contracts.metric import Metric
from invbench.contracts.names import check_name
from invbench.contracts.set_metric import SetMetric
from invbench.contracts.task_spec import TaskSpec
from invbench.families.adapter import FamilyAdapter, family_adapter
from invbench.harness.batch import BatchContext, run_batch
from invbench.harness.environment import (
    device_info,
    git_commit,
    inverter_provenance,
    library_versions,
    merge_manifest,
    now_iso,
)
from invbench.harness.model_cache import ModelCache
from invbench.harness.requirements import require_assets
from invbench.models.placement import peak_memory, reset_peak_memory
from invbench.scoring.apply import output_info
from invbench.scoring.metric_binding import bind_metrics, check_metric_names
from invbench.store.features import encode_features
from invbench.store.manifest import InverterEntry, Session, TargetSetEntry
from invbench.store.records import RECORD_SCHEMA, REFERENCE_KIND, Record, SetReference
from invbench.store.run_store import RunStore, record_key, reference_key
from invbench.targets.target_set import TargetSet, load_target_set


@dataclass
class EvaluationPlan:
    tasks: list[TaskSpec]
    inverters: list[Inverter]
    target_dirs: list[Path]
    seeds: list[int] | None = None  # None: each task's default seeds
    limit: int | None = None  # None: each task's default_limit
    batch_size: int | None = None  # None: each task's default_batch_size
    device: str = "cpu"
    shard: tuple[int, int] | None = None  # (i, n), 1-based i
    overwrite: bool = False
    explicit_inverters: bool = False
    wait_for_lock: bool = False  # another process holds the run folder: wait, not refuse


def select_items(target_set: TargetSet, limit: int | None, shard: tuple[int, int] | None):
    """The first ``limit`` targets in set order, then this shard's deterministic slice."""
    items = target_set.items[:limit] if limit else list(target_set.items)
    if shard is not None:
        index, count = shard
        items = [item for k, item in enumerate(items) if k % count == index - 1]
    return items


def _check_pairs(plan: EvaluationPlan) -> dict[str, list[Inverter]]:
    for inv in plan.inverters:  # an unregistered object's name becomes a folder name too
        check_name("inverter name", inv.name)
    pairs = {spec.key: [inv for inv in plan.inverters if spec.family in inv.families]
             for spec in plan.tasks}
    if plan.explicit_inverters:
        families = {spec.family for spec in plan.tasks}
        for inv in plan.inverters:
            if not families & set(inv.families):
                raise InvbenchError(
                    f"inverter {inv.name!r} supports families {list(inv.families)}, none of the "
                    f"selected tasks' ({sorted(families)})"
                )
    return pairs


def evaluate(plan: EvaluationPlan, out: str | Path, command_line: Sequence[str],
             progress: bool = True, log: Callable[[str], None] = print) -> RunStore:
    """Run ``plan`` into the run folder ``out`` (resuming what it already holds)."""
    pairs = _check_pairs(plan)
    # before any compute: every weight file, backend and prepared target set the tasks need
    for report in require_assets(plan.tasks, plan.target_dirs):
        log(f"warning: {report.asset.key} is missing ({report.status.detail}); metrics that "
            f"need it are skipped for {', '.join(report.tasks)}")
    target_sets = {spec.key: load_target_set(spec.targets, plan.target_dirs) for spec in plan.tasks}
    for spec in plan.tasks:  # fail now, not after hours, on an unknown metric or family
        check_metric_names(spec)
        family_adapter(spec.family)
    store = RunStore(out)
    with store.lock(plan.wait_for_lock, log):  # one process per run folder, for the whole run
        store.create()  # repairs a torn last line: only the holder may write
        _evaluate_locked(plan, store, pairs, target_sets, command_line, progress, log)
    return store


def _evaluate_locked(plan: EvaluationPlan, store: RunStore, pairs: dict[str, list[Inverter]],
                     target_sets: dict[str, TargetSet], command_line: Sequence[str],
                     progress: bool, log: Callable[[str], None]) -> None:
    """The run itself, once this process holds the run folder (pending items are read now, so a
    process that waited sees what the other one completed)."""
    done = set() if plan.overwrite else store.completed_keys()
    models = ModelCache(plan.device)
    device = torch.device(plan.device)
    session = Session(started=now_iso(), command_line=list(command_line), pid=os.getpid(),
                      shard=plan.shard, git_commit=git_commit(), libraries=library_versions(),
                      device=device_info(plan.device))
    sections: dict[str, dict[str, Any]] = {
        "tasks": {s.key: s.model_dump(mode="json") for s in plan.tasks},
        "target_sets": {k: TargetSetEntry(key=t.key, content_sha256=t.content_sha256,
                                          root=str(t.root)) for k, t in target_sets.items()},
        "inverters": {f"{i.name}@{config_hash(i)}": _inverter_entry(i) for i in plan.inverters},
        "models": {},
    }
    store.write_manifest(merge_manifest(store.read_manifest(), session, sections))

    for spec in plan.tasks:
        reset_peak_memory(plan.device)
        model = models.get(spec.forward_model)
        judges = {name: models.get(ref) for name, ref in spec.judges.items()}
        adapter = family_adapter(spec.family, judges)
        metrics = bind_metrics(spec, adapter.field_sources())
        sections["models"][spec.key] = {
            **model.describe(), "judges": {name: j.describe() for name, j in judges.items()}}
        models_section = {"models": sections["models"]}
        store.write_manifest(merge_manifest(store.read_manifest(), None, models_section))
        _store_set_references(spec, target_sets[spec.key], metrics, done, store, log)
        _run_task(plan, spec, target_sets[spec.key], model, adapter, metrics, pairs[spec.key],
                  done, store, device, progress, log)
        # per session and task: a resumed run adds its own measurement beside earlier ones
        memory = {f"{session.started}|{spec.key}":
                  {"task": spec.key, **peak_memory(plan.device)}}
        store.write_manifest(merge_manifest(store.read_manifest(), None, {"peak_memory": memory}))


def _inverter_entry(inverter: Inverter) -> InverterEntry:
    """The manifest's entry of one inverter: what its config hash covers, and its provenance."""
    return InverterEntry(name=inverter.name, version=inverter.version, config=inverter.config,
                         oracle=bool(inverter.oracle),
                         provenance=inverter_provenance(inverter))


def _store_set_references(spec: TaskSpec, target_set: TargetSet, metrics: list[Metric],
                          done: set[str], store: RunStore, log: Callable[[str], None]) -> None:
    """Features of the target set's reference pool for each set-level metric, stored once per
    (task, metric signature) as a record, so the leaderboard computes FID/KID from the store."""
    for metric in metrics:
        if not isinstance(metric, SetMetric):
            continue
        signature = metric.signature()
        key = reference_key(spec.key, metric.name, signature)
        if key in done:
            continue
        record: dict[str, Any] = {
            "kind": REFERENCE_KIND, "key": key, "task": spec.name, "task_version": spec.version,
            "metric": metric.name, "signature": signature, "target_set": target_set.key,
            "target_set_sha256": target_set.content_sha256, "status": "ok", "message": None,
            "time": now_iso()}
        pool = target_set.pool
        missing = [name for name in metric.requires if not pool or name not in pool[0]]
        if missing:
            record.update(status="error", message=f"target set {target_set.key} has no "
                          f"reference pool with fields {missing}; {metric.name} cannot be computed")
        else:
            log(f"{spec.key}: {metric.name} features of {len(pool)} reference-pool items")
            items = metric.features({name: [p[name] for p in pool] for name in metric.requires})
            errors = [item.error for item in items if item.error]
            if errors:
                record.update(status="error", message=f"{len(errors)} pool item(s) failed: "
                              f"{errors[0]}")
            else:
                stacked = np.stack([item.features for item in items])
                record.update(count=len(items), dim=stacked.shape[1],
                              features=encode_features(stacked))
        store.append(SetReference.model_validate(record))
        if record["status"] != "ok":
            log(f"warning: {record['message']}")


def _run_task(plan: EvaluationPlan, spec: TaskSpec, target_set: TargetSet, model: ForwardModel,
              adapter: FamilyAdapter, metrics: list[Metric], inverters: list[Inverter],
              done: set[str], store: RunStore, device: torch.device, progress: bool,
              log: Callable[[str], None]) -> None:
    """Every pending (inverter, seed, target) item of one task, batch by batch."""
    items = select_items(target_set, plan.limit or spec.default_limit, plan.shard)
    seeds = plan.seeds or spec.default_seeds
    batch_size = plan.batch_size or spec.default_batch_size
    outputs = output_info(metrics, spec.metric_refs)
    work = []
    for inverter in inverters:
        chash = config_hash(inverter)
        for seed in seeds:
            pending = [it for it in items
                       if record_key(spec.key, inverter.name, chash, it.id, seed) not in done]
            work += [(inverter, chash, seed, pending[k:k + batch_size])
                     for k in range(0, len(pending), batch_size)]
    total = sum(len(batch) for *_, batch in work)
    skipped = len(items) * len(seeds) * len(inverters) - total
    if skipped:
        log(f"{spec.key}: {skipped} item(s) already complete in {store.root}, skipping them")
    bar = tqdm(total=total, desc=spec.key, unit="item", disable=not progress, mininterval=1.0)
    for inverter, chash, seed, batch in work:
        def hook(step: int, steps: int, name=inverter.name) -> None:
            if step % 10 == 0 or step == steps:
                bar.set_postfix_str(f"{name} step {step}/{steps}", refresh=False)

        ctx = BatchContext(spec, target_set, model, adapter, metrics, inverter, seed, device,
                           store.artifact_dir(spec.name, spec.version, inverter.name, chash))
        base = {"schema": RECORD_SCHEMA, "run_id": store.root.name, "task": spec.name,
                "task_version": spec.version, "family": spec.family, "suite": spec.suite,
                "target_set": target_set.key, "target_set_sha256": target_set.content_sha256,
                "inverter": inverter.name, "inverter_version": inverter.version,
                "inverter_config_hash": chash, "inverter_config": inverter.config,
                "oracle": bool(inverter.oracle), "inverter_access": inverter_access(inverter),
                "seed": seed, "outputs": outputs,
                "main_scores": dict(spec.main_scores)}
        for record in run_batch(ctx, batch, base, hook):
            record["key"] = record_key(spec.key, inverter.name, chash, record["target_id"], seed)
            record["artifacts"] = {k: os.path.relpath(v, store.root)
                                   for k, v in record["artifacts"].items()}
            record["time"] = now_iso()
            store.append(Record.model_validate(record))
            bar.update(1)
    bar.close()
