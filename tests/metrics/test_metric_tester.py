"""The shared metric tester catches each breakage it claims to, and passes a sound metric."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from metric_tester import MetricTester, Tol

from invbench.contracts.metric import ItemScores, Metric, MetricInputError, MetricOutput
from invbench.contracts.set_metric import SetMetric


class Length(Metric):
    """A sound toy metric: the length of a text, refusing empty ones."""

    name = "length"
    requires = ("text",)
    outputs: ClassVar[tuple[MetricOutput, ...]] = (MetricOutput("length", True, (0.0, 10.0)),)

    def settings(self) -> dict[str, Any]:
        return {"unit": "chars"}

    def score_item(self, text: str) -> dict[str, float]:
        if not text:
            raise MetricInputError("text is empty")
        return {"length": float(len(text))}


class BatchMean(Length):
    """Broken: each item's value leaks its batch (the mean length of the batch is added)."""

    def score(self, fields):
        lengths = [len(t) for t in fields["text"]]
        return [ItemScores(values={"length": n + 0.01 * sum(lengths) / len(lengths)})
                for n in lengths]  # fmt: skip


class Stateful(Length):
    """Broken: a counter carried from item to item changes later values."""

    def __init__(self) -> None:
        self.seen = 0

    def score_item(self, text: str) -> dict[str, float]:
        self.seen += 1
        return {"length": float(len(text)) + (self.seen > 2)}


class Unstable(Length):
    """Broken: the signature names the instance."""

    def settings(self) -> dict[str, Any]:
        return {"instance": id(self)}


class Loud(Length):
    """Broken: values above the declared range."""

    def score_item(self, text: str) -> dict[str, float]:
        return {"length": 100.0 * len(text)}


class Extra(Length):
    """Broken: an output it never declared."""

    def score_item(self, text: str) -> dict[str, float]:
        return {"length": float(len(text)), "surprise": 1.0}


class Features(SetMetric):
    """A toy set metric whose features leak the batch size when ``leak`` is set."""

    name = "toy_set"
    requires = ("text",)
    outputs: ClassVar[tuple[MetricOutput, ...]] = (MetricOutput("spread", False, (0.0, np.inf)),)
    leak = False

    def features(self, fields):
        out = super().features(fields)
        for item in out:
            if self.leak and item.features is not None:
                item.features = item.features + len(out)
        return out

    def item_features(self, text: str) -> np.ndarray:
        return np.array([len(text), text.count("a")], dtype=np.float64)

    def compute(self, features: np.ndarray, reference: np.ndarray) -> dict[str, float]:
        return {"spread": float(abs(features[:, 0].sum() - reference[:, 0].sum()))}


class Leaky(Features):
    leak = True


TEXTS = {"text": ["a", "bb", "", "dddd", "eeeee", "ff", "g"]}


def _length(text: str) -> dict[str, float] | None:
    return {"length": float(len(text))} if text else None


def test_a_sound_metric_passes_and_its_outcomes_come_back() -> None:
    results = MetricTester(Length, signature="length|unit:chars|version:1",
                           outputs={"length": (True, (0.0, 10.0))}).run(TEXTS, _length, Tol(abs=0))
    assert results[0] == ({"length": 1.0}, None)
    assert results[2] == ({}, "length: text is empty")


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (BatchMean, "scored one by one gives"),
        (Stateful, "scored shuffled gives"),
        (Unstable, "signature not stable"),
        (Loud, "outside"),
        (Extra, "item 0 gives"),
    ],
)
def test_each_breakage_is_caught(factory: type[Metric], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        MetricTester(factory).run({"text": ["a", "bb", "ccc", "d", "ee"]})


def test_a_wrong_reference_or_none_compared_fails() -> None:
    with pytest.raises(AssertionError, match="item 1 length = 2.0, reference 3"):
        MetricTester(Length).run(TEXTS, lambda text: {"length": len(text) + (text == "bb")},
                                 Tol(abs=1e-9))  # fmt: skip
    with pytest.raises(AssertionError, match="no item was compared"):
        MetricTester(Length).run(TEXTS, lambda text: None, Tol(abs=0))
    with pytest.raises(AssertionError, match="item 2 failed"):  # the reference scores it, we fail
        MetricTester(Length).run(TEXTS, lambda text: {"length": 0.0}, Tol(abs=100))


def test_pinned_declarations_and_signatures_are_checked() -> None:
    with pytest.raises(AssertionError, match="declared"):
        MetricTester(Length, outputs={"length": (False, (0.0, 10.0))}).run(TEXTS)
    with pytest.raises(AssertionError):
        MetricTester(Length, signature="length|unit:words|version:1").run(TEXTS)


def test_set_metrics_are_checked_on_their_features() -> None:
    results = MetricTester(Features).run(TEXTS)
    assert np.array_equal(results[0][0], [1.0, 1.0])
    with pytest.raises(AssertionError, match="scored one by one gives"):
        MetricTester(Leaky).run(TEXTS)
    features = np.stack([r[0] for r in results])
    pool = features[::-1] + 1.0
    got = MetricTester(Features).check_set(
        Features(), features, pool, lambda f, r: {"spread": 7.0}, Tol(abs=0)
    )
    assert got == {"spread": 7.0}
    with pytest.raises(AssertionError, match="spread"):
        MetricTester(Features).check_set(
            Features(), features, pool, lambda f, r: {"spread": 6.0}, Tol(abs=0.5)
        )
