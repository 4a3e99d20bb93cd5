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

import torch
from tqdm.auto import tqdm

from invbench.batch_execution import BatchContext, run_batch
from invbench.catalog import FORWARD_MODELS, METRICS
from invbench.contracts.errors import InvbenchError
from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.inverter import Inverter, config_hash
from invbench.contracts.metric import Metric
from invbench.contracts.task_spec import ModelRef, TaskSpec
from invbench.run_manifest import device_info, git_commit, library_versions, merge_manifest, now_iso
from invbench.scoring.apply import output_info
from invbench.scoring.family import family_adapter
from invbench.store import RECORD_SCHEMA, RunStore, record_key
from invbench.target_sets import TargetSet, load_target_set


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


def select_items(target_set: TargetSet, limit: int | None, shard: tuple[int, int] | None):
    """The first ``limit`` targets in set order, then this shard's deterministic slice."""
    items = target_set.items[:limit] if limit else list(target_set.items)
    if shard is not None:
        index, count = shard
        items = [item for k, item in enumerate(items) if k % count == index - 1]
    return items


def _check_pairs(plan: EvaluationPlan) -> dict[str, list[Inverter]]:
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


class _ModelCache:
    def __init__(self, device: str) -> None:
        self.device = device
        self._models: dict[str, ForwardModel] = {}

    def get(self, ref: ModelRef) -> ForwardModel:
        key = ref.model_dump_json()
        if key not in self._models:
            factory = FORWARD_MODELS.get(ref.id)
            self._models[key] = factory(**ref.options, device=self.device)
        return self._models[key]


def evaluate(plan: EvaluationPlan, out: str | Path, command_line: Sequence[str],
             progress: bool = True, log: Callable[[str], None] = print) -> RunStore:
    """Run ``plan`` into the run folder ``out`` (resuming what it already holds)."""
    pairs = _check_pairs(plan)
    target_sets = {spec.key: load_target_set(spec.targets, plan.target_dirs) for spec in plan.tasks}
    metrics = {spec.key: [METRICS.get(name)() for name in spec.metrics] for spec in plan.tasks}
    for spec in plan.tasks:
        family_adapter(spec.family)  # fails now, not after hours, if the family is unsupported
    store = RunStore(out)
    store.create()
    done = set() if plan.overwrite else store.completed_keys()
    models = _ModelCache(plan.device)
    device = torch.device(plan.device)
    session = {"started": now_iso(), "command_line": list(command_line), "pid": os.getpid(),
               "shard": plan.shard, "git_commit": git_commit(), "libraries": library_versions(),
               "device": device_info(plan.device)}
    sections: dict[str, dict[str, Any]] = {
        "tasks": {s.key: s.model_dump(mode="json") for s in plan.tasks},
        "target_sets": {k: {"key": t.key, "content_sha256": t.content_sha256, "root": str(t.root)}
                        for k, t in target_sets.items()},
        "inverters": {f"{i.name}@{config_hash(i)}": {"name": i.name, "version": i.version,
                      "config": i.config, "oracle": bool(i.oracle)} for i in plan.inverters},
        "models": {},
    }
    store.write_manifest(merge_manifest(store.read_manifest(), session, sections))

    for spec in plan.tasks:
        model = models.get(spec.forward_model)
        sections["models"][spec.key] = model.describe()
        models_section = {"models": sections["models"]}
        store.write_manifest(merge_manifest(store.read_manifest(), None, models_section))
        _run_task(plan, spec, target_sets[spec.key], model, metrics[spec.key], pairs[spec.key],
                  done, store, device, progress, log)
    return store


def _run_task(plan: EvaluationPlan, spec: TaskSpec, target_set: TargetSet, model: ForwardModel,
              metrics: list[Metric], inverters: list[Inverter], done: set[str], store: RunStore,
              device: torch.device, progress: bool, log: Callable[[str], None]) -> None:
    """Every pending (inverter, seed, target) item of one task, batch by batch."""
    items = select_items(target_set, plan.limit or spec.default_limit, plan.shard)
    seeds = plan.seeds or spec.default_seeds
    batch_size = plan.batch_size or spec.default_batch_size
    adapter = family_adapter(spec.family)
    outputs = output_info(metrics)
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

        folder = store.artifacts / f"{spec.name.replace('/', '-')}-v{spec.version}"
        ctx = BatchContext(spec, target_set, model, adapter, metrics, inverter, seed, device,
                           folder / f"{inverter.name}-{chash}")
        base = {"schema": RECORD_SCHEMA, "run_id": store.root.name, "task": spec.name,
                "task_version": spec.version, "family": spec.family, "suite": spec.suite,
                "target_set": target_set.key, "target_set_sha256": target_set.content_sha256,
                "inverter": inverter.name, "inverter_version": inverter.version,
                "inverter_config_hash": chash, "inverter_config": inverter.config,
                "oracle": bool(inverter.oracle), "seed": seed, "outputs": outputs,
                "main_scores": dict(spec.main_scores)}
        for record in run_batch(ctx, batch, base, hook):
            record["key"] = record_key(spec.key, inverter.name, chash, record["target_id"], seed)
            record["artifacts"] = {k: os.path.relpath(v, store.root)
                                   for k, v in record["artifacts"].items()}
            record["time"] = now_iso()
            store.append(record)
            bar.update(1)
    bar.close()
