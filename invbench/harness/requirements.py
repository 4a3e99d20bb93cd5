"""What a list of tasks needs on disk, found from the specs alone (nothing is loaded).

Forward models and judges declare their assets with a static ``assets(**options)``; metrics with
``required_assets()`` (judge backends, marked optional); a task whose targets are prepared
locally needs its prepared set. ``check_tasks`` is what ``invbench doctor`` prints and what
``invbench evaluate`` runs before any compute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from invbench.assets.kinds import Asset, AssetStatus, PreparedTargetSet
from invbench.contracts.errors import InvbenchError
from invbench.contracts.task_spec import MetricRef, ModelRef, TargetSetRef, TaskSpec
from invbench.plugins.catalog import FORWARD_MODELS, METRICS
from invbench.plugins.option_check import check_task_options


class MissingAssetsError(InvbenchError):
    """Required assets are missing; the message lists each one and how to get it."""


@dataclass
class AssetReport:
    asset: Asset
    status: AssetStatus
    tasks: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return self.asset.required and not self.status.present


def model_assets(ref: ModelRef) -> list[Asset]:
    """The assets the registered model ``ref.id`` declares for its options ([] if none)."""
    declare = getattr(FORWARD_MODELS.get(ref.id), "assets", None)
    return list(declare(**ref.options)) if declare is not None else []


def metric_assets(ref: MetricRef) -> list[Asset]:
    """The assets a task's metric declares (judge backends and weights), without loading it."""
    from invbench.scoring.metric_binding import metric_assets as declared

    return declared(METRICS.get(ref.id)(**ref.options))


def task_assets(spec: TaskSpec, target_dirs: Sequence[Path]) -> list[Asset]:
    """What ``spec`` needs; first, every option it gives a factory must be one it takes."""
    check_task_options(spec)
    assets = [*model_assets(spec.forward_model)]
    for judge in spec.judges.values():
        assets += model_assets(judge)
    for ref in spec.metric_refs:
        assets += metric_assets(ref)
    targets = spec.targets
    if targets.prepared_by:
        assets.append(PreparedTargetSet(
            name=targets.name, version=targets.version,
            search_dirs=tuple(str(d) for d in target_dirs), command=targets.prepared_by,
            purpose="target set rendered by the real models"))
    return assets


@dataclass(frozen=True)
class PinnedTargetSet(Asset):
    """A target set a task pins by hash, checked as ``invbench evaluate`` checks it: found in
    the search folders (``--include-path`` ones first), every file's sha256 against the
    manifest and the set's hash against the task's pin."""

    ref: TargetSetRef | None = None
    search_dirs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        assert self.ref is not None
        return f"targets:{self.ref.name}@{self.ref.version}"

    def check(self, verify: bool = False) -> AssetStatus:
        from invbench.targets.target_set import load_target_set

        assert self.ref is not None
        try:
            target_set = load_target_set(self.ref, [Path(d) for d in self.search_dirs])
        except InvbenchError as exc:
            return AssetStatus(False, str(exc))
        return AssetStatus(True, f"{len(target_set.items)} targets, sha256 as pinned")


def target_set_assets(spec: TaskSpec, target_dirs: Sequence[Path]) -> list[Asset]:
    """The pinned target set of ``spec`` (a prepared one is in :func:`task_assets`)."""
    if spec.targets.content_sha256 is None:
        return []
    return [PinnedTargetSet(ref=spec.targets, search_dirs=tuple(str(d) for d in target_dirs),
                            purpose="target set the task pins")]


def check_tasks(specs: Iterable[TaskSpec], target_dirs: Sequence[Path],
                verify: bool = False, targets: bool = False) -> list[AssetReport]:
    """One report per distinct asset, checked once, naming every task that needs it;
    ``targets`` also verifies each pinned target set (``invbench doctor``; evaluate verifies
    them as it loads them, so it does not ask twice)."""
    reports: dict[str, AssetReport] = {}
    for spec in specs:
        extra = target_set_assets(spec, target_dirs) if targets else []
        for asset in [*task_assets(spec, target_dirs), *extra]:
            if asset.key not in reports:
                reports[asset.key] = AssetReport(asset, asset.check(verify=verify))
            report = reports[asset.key]
            if asset.required and not report.asset.required:  # required by any task wins
                reports[asset.key] = report = AssetReport(asset, report.status, report.tasks)
            if spec.key not in report.tasks:
                report.tasks.append(spec.key)
    return list(reports.values())


def require_assets(specs: Sequence[TaskSpec], target_dirs: Sequence[Path]) -> list[AssetReport]:
    """Raise :class:`MissingAssetsError` listing every missing required asset; return the
    reports of missing optional ones (their metrics are skipped with the reason)."""
    reports = check_tasks(specs, target_dirs)
    blocking = [r for r in reports if r.blocking]
    if blocking:
        lines = [f"  - {r.asset.key} ({r.asset.purpose}; for {', '.join(r.tasks)}): "
                 f"{r.status.detail}" for r in blocking]
        raise MissingAssetsError(
            f"{len(blocking)} required asset(s) missing, nothing was run "
            "(`invbench doctor` lists them all):\n" + "\n".join(lines))
    return [r for r in reports if not r.status.present]
