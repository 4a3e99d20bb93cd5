"""One tester for every metric family (the idea of torchmetrics' ``MetricTester``).

:meth:`MetricTester.run` scores a batch ``{field: [value per item]}`` and checks, in one place,
what every metric promises:

- **reference**: each item's values equal a reference library's (``reference(**item)`` or one
  precomputed entry per item; ``None`` means "not compared", e.g. an item that must fail), within
  a tolerance given exactly as ``pytest.approx`` takes it (``abs`` only means no relative slack);
- **batching**: the batch scored whole (``Metric.score``), then one item at a time, in uneven
  chunks of 3, 1, 2, ... and shuffled, through ``invbench.scoring.apply.apply_metrics`` (the
  harness's scoring path), gives identical per-item values and errors (``splits=()`` scores
  each item once, for slow metrics whose batching another test checks on fewer items);
- **signature**: well formed (``name|key:value|...|version:N``), equal for two fresh instances
  and unchanged by scoring, and the one the harness records (``output_info``);
- **declaration**: every value is finite, named by a declared output and inside its declared
  range; a test may pin the declared direction and range.

Set-level metrics (FID/KID) are batch-checked on their per-item features, and
:meth:`MetricTester.check_set` checks ``compute`` against a reference and under reordering.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from invbench.contracts.metric import Metric
from invbench.contracts.set_metric import SetMetric
from invbench.scoring.apply import apply_metrics, output_info

Outcome = tuple[Any, str | None]
"""One item's result: ``(values dict, error)``, or ``(features array, error)`` for a set metric."""

Reference = Callable[..., Mapping[str, float] | None] | Sequence[Mapping[str, float] | None]
SPLITS = ("one by one", "chunks 3,1,2", "shuffled")
SIGNATURE = re.compile(r"[a-z_0-9]+(\|[a-z_0-9]+:[^|]+)*\|version:\d+")


@dataclass(frozen=True)
class Tol:
    """A tolerance as ``pytest.approx`` takes it; ``Tol(abs=0)`` is exact equality."""

    abs: float | None = None
    rel: float | None = None

    def approx(self, expected: float) -> Any:
        kwargs = {k: v for k, v in (("abs", self.abs), ("rel", self.rel)) if v is not None}
        return pytest.approx(expected, **kwargs)


class MetricTester:
    """Checks one metric family; ``factory()`` builds a fresh instance (the harness's call)."""

    def __init__(self, factory: Callable[[], Metric], *, signature: str | None = None,
                 outputs: Mapping[str, tuple[bool, tuple[float, float]]] | None = None) -> None:
        self.factory = factory
        self.name: str = getattr(factory, "name", "metric")  # the instance's, once one is built
        self.signature = signature
        self.outputs = outputs

    def run(self, fields: Mapping[str, Sequence[Any]], reference: Reference | None = None,
            tol: Tol | Mapping[str, Tol] | None = None,
            splits: Sequence[str] = SPLITS) -> list[Outcome]:
        """Score ``fields`` whole and in ``splits``; check everything above; the outcomes."""
        metric = self.factory()
        self.name = metric.name
        self.check_declaration(metric)
        signature = self.check_signature(metric)
        n = len(next(iter(fields.values())))
        whole = self._direct(metric, fields)
        assert len(whole) == n, f"{metric.name}: {len(whole)} results for {n} items"
        assert metric.signature() == signature, f"{metric.name}: scoring changed the signature"
        for i, (values, error) in enumerate(whole):
            if error is None and not isinstance(metric, SetMetric):
                self._check_values(metric, values, i)
        for split in splits:
            assert split in SPLITS, f"unknown split {split!r}; one of {SPLITS}"
            got = self._split(fields, n, split)
            for i in range(n):
                assert _same(got[i], whole[i]), (
                    f"{metric.name}: item {i} scored {split} gives {got[i]}, whole {whole[i]}"
                )
        if reference is not None:
            assert tol is not None, "a reference comparison needs a tolerance"
            self.assert_matches(whole, fields, reference, tol)
        return whole

    def assert_matches(self, results: Sequence[Outcome], fields: Mapping[str, Sequence[Any]],
                       reference: Reference, tol: Tol | Mapping[str, Tol]) -> int:
        """Each item's values against ``reference``; how many items were compared (>= 1)."""
        name = self.name
        if not callable(reference):
            assert len(reference) == len(results), f"{len(reference)} references, {len(results)}"
        compared = 0
        for i, (values, error) in enumerate(results):
            if callable(reference):
                expected = reference(**{k: v[i] for k, v in fields.items()})
            else:
                expected = reference[i]
            if expected is None:
                continue
            assert error is None, f"{name}: item {i} failed ({error}), the reference scores it"
            for key, value in expected.items():
                bound = tol[key] if isinstance(tol, Mapping) else tol
                assert values[key] == bound.approx(value), (
                    f"{name}: item {i} {key} = {values[key]!r}, reference {value!r}"
                )
            compared += 1
        assert compared, f"{name}: no item was compared with the reference"
        return compared

    def check_declaration(self, metric: Metric) -> None:
        """Outputs named once, ranges ordered; equal to ``outputs`` when the test pins them."""
        names = [o.name for o in metric.outputs]
        assert names and len(set(names)) == len(names), f"{metric.name}: outputs {names}"
        assert metric.requires, f"{metric.name}: requires no field"
        for out in metric.outputs:
            low, high = out.value_range
            assert isinstance(out.higher_is_better, bool) and low < high, out
        if self.outputs is not None:
            declared = {o.name: (o.higher_is_better, tuple(o.value_range)) for o in metric.outputs}
            assert declared == dict(self.outputs), f"{metric.name}: declared {declared}"

    def check_signature(self, metric: Metric) -> str:
        """The signature: well formed, reproducible, the one ``output_info`` records."""
        signature = metric.signature()
        assert SIGNATURE.fullmatch(signature), f"malformed signature {signature!r}"
        assert signature.startswith(f"{metric.name}|"), signature
        assert self.factory().signature() == signature, f"{metric.name}: signature not stable"
        if self.signature is not None:
            assert signature == self.signature
        for out in metric.outputs:
            info = output_info([metric])[out.name]
            low, high = (None if math.isinf(v) else v for v in out.value_range)
            assert (info["signature"], info["higher_is_better"], info["range"]) == (
                signature, out.higher_is_better, [low, high]
            )
        return signature

    def check_set(self, metric: SetMetric, features: np.ndarray, reference_features: np.ndarray,
                  reference: Callable[[np.ndarray, np.ndarray], Mapping[str, float]],
                  tol: Tol | Mapping[str, Tol]) -> dict[str, float]:
        """``compute`` against ``reference`` on the same features; reordering either set's rows
        changes nothing (exactly); values finite and in their declared ranges."""
        got = metric.compute(features, reference_features)
        self._check_values(metric, got, "set")
        for key, value in reference(features, reference_features).items():
            bound = tol[key] if isinstance(tol, Mapping) else tol
            assert got[key] == bound.approx(value), f"{metric.name}: {key} {got[key]} vs {value}"
        order = np.random.default_rng(0).permutation(len(features))
        assert metric.compute(features[order], reference_features[::-1].copy()) == got
        return got

    def _check_values(self, metric: Metric, values: Mapping[str, float], item: Any) -> None:
        declared = {o.name: o for o in metric.outputs}
        if values:
            assert set(values) == set(declared), f"{metric.name}: item {item} gives {set(values)}"
        for key, value in values.items():
            low, high = declared[key].value_range
            assert math.isfinite(value) and low <= value <= high, (
                f"{metric.name}: item {item} {key} = {value} outside [{low}, {high}]"
            )

    @staticmethod
    def _direct(metric: Metric, fields: Mapping[str, Sequence[Any]]) -> list[Outcome]:
        if isinstance(metric, SetMetric):
            return [(f.features, f.error) for f in metric.features(fields)]
        return [(dict(r.values), r.error) for r in metric.score(fields)]

    def _harness(self, metric: Metric, fields: Mapping[str, Sequence[Any]],
                 indices: Sequence[int]) -> list[Outcome]:
        chunk = {k: [v[i] for i in indices] for k, v in fields.items()}
        results = apply_metrics([metric], chunk, len(indices))
        if isinstance(metric, SetMetric):
            return [(r.features.get(metric.name), r.errors.get(metric.name)) for r in results]
        return [(r.scores, r.errors.get(metric.name)) for r in results]

    def _split(self, fields: Mapping[str, Sequence[Any]], n: int, split: str) -> list[Outcome]:
        """Per-item outcomes, in item order, of one fresh metric scoring ``split`` batches."""
        metric = self.factory()
        if split == "shuffled":
            order = list(range(n))
            random.Random(0).shuffle(order)
            out: list[Outcome | None] = [None] * n
            for index, outcome in zip(order, self._harness(metric, fields, order), strict=True):
                out[index] = outcome
            return out  # type: ignore[return-value]
        sizes = [1] if split == "one by one" else [3, 1, 2]
        got: list[Outcome] = []
        start, chunk = 0, 0
        while start < n:
            stop = min(start + sizes[chunk % len(sizes)], n)
            got += self._harness(metric, fields, range(start, stop))
            start, chunk = stop, chunk + 1
        return got


def _same(a: Outcome, b: Outcome) -> bool:
    """Equal outcomes: the same error and bit-equal values (or features)."""
    (x, x_error), (y, y_error) = a, b
    if x_error != y_error:
        return False
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return x is not None and y is not None and np.array_equal(x, y)
    return x == y
