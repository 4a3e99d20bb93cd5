"""Build a task's metrics from its spec: options, renamed input fields and output prefixes.

A task can use one metric family twice on different scoring fields — e.g. exact match on the
inverted captioner's caption (``exact_match``) and on the judge captioner's caption
(``transfer_exact_match``). The renamed copy's signature records which field it reads and which
model produced that field, so a transfer score can never be mistaken for a self-score.

**Optional judges.** A metric declares what it needs beyond the core install —
:func:`metric_assets`: its own ``required_assets()`` when it has one (LPIPS), plus the assets of
the judge its ``model`` option names (:func:`invbench.metrics.clip_score.judge_assets`, e.g.
``clip_score`` or ``fid_kid`` with ``openclip-vit-l-14`` / ``inception-v3-fid``). When one is
missing (``asset.check().present`` is False) the task gets an :class:`UnavailableMetric` in its
place: same name, fields and outputs, a signature ``<name>|unavailable:<reason>|version:<v>``
computed without loading anything, and for every item the error ``<name> skipped: <reason>``
(recorded per item; the other metrics' scores are kept). The reason names the first missing
asset and how to get it, e.g. ``needs the judges extra (module 'open_clip' not installed; pip
install 'invbench[judges]')``. A set-level metric (FID/KID) becomes an
:class:`UnavailableSetMetric`: its reference-pool record and every item carry that error, and
the leaderboard shows no value (never a zero).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from invbench.assets import Asset, AssetStatus, PythonPackage
from invbench.contracts.errors import InvbenchError
from invbench.contracts.metric import ItemScores, Metric, MetricInputError
from invbench.contracts.set_metric import ItemFeatures, SetMetric
from invbench.contracts.task_spec import MetricRef, TaskSpec
from invbench.plugins.catalog import METRICS
from invbench.plugins.option_check import check_task_options


class RemappedMetric(Metric):
    """``inner`` reading ``fields`` (inner name -> scoring field), outputs named ``prefix+...``."""

    def __init__(self, inner: Metric, fields: Mapping[str, str], prefix: str,
                 sources: Mapping[str, str]) -> None:
        self.inner = inner
        self.fields = dict(fields)
        self.prefix = prefix
        self.sources = {f: sources[f] for f in self.fields.values() if f in sources}
        self.name = prefix + inner.name
        self.version = inner.version
        self.description = inner.description
        self.reference = inner.reference
        self.requires = tuple(self.fields.get(f, f) for f in inner.requires)
        self.outputs = tuple(replace(o, name=prefix + o.name) for o in inner.outputs)

    def signature(self) -> str:
        head, _, version = self.inner.signature().rpartition("|version:")
        extra = [f"fields:{','.join(f'{k}={v}' for k, v in sorted(self.fields.items()))}"]
        extra += [f"source:{field}={model}" for field, model in sorted(self.sources.items())]
        return "|".join([head, *extra, f"version:{version}"])

    def score_item(self, **fields: Any) -> dict[str, float]:
        inner_fields = {name: fields[self.fields.get(name, name)] for name in self.inner.requires}
        values = self.inner.score_item(**inner_fields)
        return {self.prefix + k: v for k, v in values.items()}

    def required_assets(self) -> list[Asset]:
        return metric_assets(self.inner)


def metric_assets(metric: Metric) -> list[Asset]:
    """Everything ``metric`` needs beyond the core install, without loading anything: its own
    ``required_assets()`` if it defines one, plus the assets of the judge named by its
    ``model`` attribute (unless a judge object was injected). Unknown judge names raise."""
    from invbench.metrics.clip_score import judge_assets

    own = getattr(metric, "required_assets", None)
    found = list(own()) if callable(own) else []
    model = getattr(metric, "model", None)
    if isinstance(model, str) and getattr(metric, "_judge", None) is None:
        found += judge_assets(model)
    unique: dict[str, Asset] = {}
    for asset in found:
        unique.setdefault(asset.key, asset)
    return list(unique.values())


def missing_assets(assets: Sequence[Asset]) -> list[tuple[Asset, AssetStatus]]:
    """The assets whose offline ``check()`` says absent, with their status."""
    statuses = [(asset, asset.check()) for asset in assets]
    return [(asset, status) for asset, status in statuses if not status.present]


def unavailable_reason(missing: Sequence[tuple[Asset, AssetStatus]]) -> str:
    """One line naming the first missing asset and how to get it (and how many more)."""
    asset, status = missing[0]
    if isinstance(asset, PythonPackage):
        what = status.detail.split("; install:")[0]
        extra = re.search(r"\[([A-Za-z0-9_-]+)\]", asset.install)
        head = f"the {extra.group(1)} extra" if extra else f"module {asset.module!r}"
        reason = f"needs {head} ({what}; {asset.install})"
    else:
        reason = f"needs {asset.key} ({status.detail})"
    if len(missing) > 1:
        reason += f" and {len(missing) - 1} more missing asset(s); see `invbench doctor`"
    return reason.replace("|", "/")  # the reason goes into a |-separated signature


class UnavailableMetric(Metric):
    """Stands in for a metric whose backend or weights are missing: same name, fields and
    outputs; every item gets the error ``<name> skipped: <reason>``; nothing is loaded."""

    def __init__(self, metric: Metric, reason: str, assets: Sequence[Asset] = ()) -> None:
        self.name = metric.name
        self.version = metric.version
        self.description = metric.description
        self.reference = metric.reference
        self.requires = tuple(metric.requires)
        self.outputs = tuple(metric.outputs)
        self.reason = reason
        self.message = f"{metric.name} skipped: {reason}"
        self._assets = list(assets)

    def required_assets(self) -> list[Asset]:
        return list(self._assets)

    def signature(self) -> str:
        return f"{self.name}|unavailable:{self.reason}|version:{self.version}"

    def score_item(self, **fields: Any) -> dict[str, float]:
        raise MetricInputError(self.message)

    def _count(self, fields: Mapping[str, Sequence[Any]]) -> int:
        missing = [name for name in self.requires if name not in fields]
        if missing:
            raise KeyError(f"metric {self.name!r} needs scoring fields {missing}")
        return len(fields[self.requires[0]]) if self.requires else 0

    def score(self, fields: Mapping[str, Sequence[Any]]) -> list[ItemScores]:
        return [ItemScores(error=self.message) for _ in range(self._count(fields))]


class UnavailableSetMetric(UnavailableMetric, SetMetric):
    """:class:`UnavailableMetric` for a set-level metric: no features, no values."""

    def item_features(self, **fields: Any) -> np.ndarray:
        raise MetricInputError(self.message)

    def features(self, fields: Mapping[str, Sequence[Any]]) -> list[ItemFeatures]:
        return [ItemFeatures(error=self.message) for _ in range(self._count(fields))]

    def compute(self, features: np.ndarray, reference: np.ndarray) -> dict[str, float]:
        raise InvbenchError(self.message)

    def bootstrap(self, features: np.ndarray, reference: np.ndarray,
                  resamples: np.ndarray) -> dict[str, np.ndarray]:
        raise InvbenchError(self.message)


def check_metric_names(spec: TaskSpec) -> None:
    """Fail before any compute if a task names a metric that is not registered, or gives it
    (or its forward model or judges) an option its factory does not take."""
    for ref in spec.metric_refs:
        METRICS.get(ref.id)
    check_task_options(spec)


def bind_metric(ref: MetricRef, sources: Mapping[str, str]) -> Metric:
    """The metric a task entry names, remapped if asked; an :class:`UnavailableMetric` (or
    :class:`UnavailableSetMetric`) when an asset it needs is missing."""
    metric = METRICS.get(ref.id)(**ref.options)
    bound = metric
    if ref.fields or ref.prefix:
        if isinstance(metric, SetMetric):
            raise InvbenchError(f"metric {ref.id!r} is set-level; it cannot take fields/prefix")
        unknown = sorted(set(ref.fields) - set(metric.requires))
        if unknown:
            raise InvbenchError(
                f"metric {ref.id!r} reads fields {list(metric.requires)}; cannot remap {unknown}"
            )
        bound = RemappedMetric(metric, ref.fields, ref.prefix, sources)
    assets = metric_assets(metric)
    missing = missing_assets(assets)
    if not missing:
        return bound
    kind = UnavailableSetMetric if isinstance(metric, SetMetric) else UnavailableMetric
    return kind(bound, unavailable_reason(missing), assets)


def bind_metrics(spec: TaskSpec, sources: Mapping[str, str]) -> list[Metric]:
    """The task's metric instances; output names must be unique within the task."""
    metrics = [bind_metric(ref, sources) for ref in spec.metric_refs]
    seen: dict[str, str] = {}
    for metric in metrics:
        for out in metric.outputs:
            if out.name in seen:
                raise InvbenchError(
                    f"task {spec.key}: output {out.name!r} is produced by both {seen[out.name]!r} "
                    f"and {metric.name!r}; give one a prefix"
                )
            seen[out.name] = metric.name
    return metrics
