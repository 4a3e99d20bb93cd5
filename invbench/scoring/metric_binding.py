"""Build a task's metrics from its spec: options, renamed input fields and output prefixes.

A task can use one metric family twice on different scoring fields — e.g. exact match on the
inverted captioner's caption (``exact_match``) and on the judge captioner's caption
(``transfer_exact_match``). The renamed copy's signature records which field it reads and which
model produced that field, so a transfer score can never be mistaken for a self-score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from invbench.catalog import METRICS
from invbench.contracts.errors import InvbenchError
from invbench.contracts.metric import Metric
from invbench.contracts.set_metric import SetMetric
from invbench.contracts.task_spec import MetricRef, TaskSpec


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


def check_metric_names(spec: TaskSpec) -> None:
    """Fail before any compute if a task names a metric that is not registered."""
    for ref in spec.metric_refs:
        METRICS.get(ref.id)


def bind_metric(ref: MetricRef, sources: Mapping[str, str]) -> Metric:
    metric = METRICS.get(ref.id)(**ref.options)
    if not ref.fields and not ref.prefix:
        return metric
    if isinstance(metric, SetMetric):
        raise InvbenchError(f"metric {ref.id!r} is set-level; it cannot take fields/prefix")
    unknown = sorted(set(ref.fields) - set(metric.requires))
    if unknown:
        raise InvbenchError(
            f"metric {ref.id!r} reads fields {list(metric.requires)}; cannot remap {unknown}"
        )
    return RemappedMetric(metric, ref.fields, ref.prefix, sources)


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
