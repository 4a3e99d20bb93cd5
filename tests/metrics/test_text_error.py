"""WER, CER and exact match: hand-made tables, then jiwer as the reference on normalised texts."""

from __future__ import annotations

import math
from collections.abc import Callable

import jiwer
import pytest
from metric_tester import MetricTester, Tol

from invbench.contracts.metric import MetricInputError
from invbench.metrics.text_error import (
    CharErrorRate,
    ExactMatch,
    WordErrorRate,
    _compute,
    _edit_stats,
    char_error_rate,
    corpus_cer,
    corpus_wer,
    exact_match,
    word_error_rate,
)
from invbench.metrics.text_normalizer import NORMALIZER_NAME, normalize

# (hypothesis tokens, reference tokens, (edits, reference length))
EDIT_STATS = [
    ([], [], (0, 0)),
    ([], ["a", "b"], (2, 2)),
    (["a", "b"], [], (2, 0)),
    (["a", "b", "c"], ["a", "b", "c"], (0, 3)),
    (["a", "x", "c"], ["a", "b", "c"], (1, 3)),
    (["a", "c"], ["a", "b", "c"], (1, 3)),
    (["a", "b", "b", "c"], ["a", "b", "c"], (1, 3)),
    (["b", "a"], ["a", "b"], (2, 2)),
    (list("kitten"), list("sitting"), (3, 7)),
    (list("sunday"), list("saturday"), (3, 8)),
    (["x"] * 5, ["y"], (5, 1)),
]


@pytest.mark.parametrize(("hyp", "ref", "expected"), EDIT_STATS)
def test_edit_stats(hyp: list[str], ref: list[str], expected: tuple[int, int]) -> None:
    assert _edit_stats(hyp, ref) == expected


def test_compute_rejects_empty_reference() -> None:
    assert _compute((3, 4)) == 0.75
    with pytest.raises(MetricInputError):
        _compute((1, 0))


# (hypothesis, target, wer, cer, exact match), values worked out by hand after normalisation
TABLE = [
    ("the cat sat on the mat", "the cat sat on the mat", 0.0, 0.0, 1.0),
    ("The Cat, sat on the MAT!", "the cat sat on the mat", 0.0, 0.0, 1.0),
    ("", "the cat sat", 1.0, 1.0, 0.0),
    ("um uh", "the cat sat", 1.0, 1.0, 0.0),
    ("the cat", "the cat sat", 1 / 3, 4 / 11, 0.0),
    ("the cat sat down", "the cat sat", 1 / 3, 5 / 11, 0.0),
    ("a cat sat", "the cat sat", 1 / 3, 3 / 11, 0.0),
    ("it's twenty-five dollars", "It is $25.", 0.0, 0.0, 1.0),
    ("colour", "color", 0.0, 0.0, 1.0),
    ("cat cat cat cat", "cat", 3.0, 12 / 3, 0.0),
    ("   the   cat   ", "the cat", 0.0, 0.0, 1.0),
]


@pytest.mark.parametrize(("hyp", "ref", "wer", "cer", "em"), TABLE)
def test_table(hyp: str, ref: str, wer: float, cer: float, em: float) -> None:
    assert word_error_rate(hyp, ref) == pytest.approx(wer, abs=1e-12)
    assert char_error_rate(hyp, ref) == pytest.approx(cer, abs=1e-12)
    assert exact_match(hyp, ref) == em
    assert WordErrorRate().score_item(hypothesis=hyp, target_text=ref) == {
        "wer": pytest.approx(wer, abs=1e-12)
    }
    assert CharErrorRate().score_item(hypothesis=hyp, target_text=ref) == {
        "cer": pytest.approx(cer, abs=1e-12)
    }
    assert ExactMatch().score_item(hypothesis=hyp, target_text=ref) == {"exact_match": em}


# (hypothesis, target): varied pairs for the jiwer comparison
PAIRS = [
    ("", "the cat sat on the mat"),
    ("The cat sat on the mat.", "the cat sat on the mat"),
    ("THE CAT SAT", "the cat sat on the mat"),
    ("the the cat cat sat sat", "the cat sat"),
    ("hello, world!!!", "Hello world"),
    ("It's twenty-five dollars", "it is $25"),
    ("one two three four five", "1 2 3 4 5"),
    ("the colour of the neighbour's harbour", "the color of the neighbor's harbor"),
    ("um the uh meeting is at 3 pm", "The meeting is at three p.m."),
    ("a b c d e f g", "x"),
    ("completely different words here", "nothing matches at all"),
    ("Mr. Smith went to Washington", "mister smith went to washington"),
    ("the quick brown fox", "the quick brown fox jumps over the lazy dog"),
    ("quick the brown fox", "the quick brown fox"),
    ("   spaced    out   text  ", "spaced out text"),
    ("Dr. Who?", "doctor who"),
    ("naïve café résumé", "naive cafe resume"),
    ("I've got 2 cats and 3 dogs", "I have got two cats and three dogs"),
    ("supercalifragilisticexpialidocious", "super cali fragilistic"),
    ("hmm", "hello there"),
    ("In 1999, 50% of us paid £3.50.", "in nineteen ninety nine fifty percent of us paid £3.50"),
    ("thirty-first of December", "31st of december"),
]


def _jiwer(metric_cls: type) -> Callable[..., dict[str, float] | None]:
    """The reference: jiwer on the normalised texts (None where the target normalises to "")."""

    def reference(hypothesis: str, target_text: str) -> dict[str, float] | None:
        h, r = normalize(hypothesis), normalize(target_text)
        if not r:
            return None
        if metric_cls is CharErrorRate:
            return {"cer": jiwer.cer(reference=r, hypothesis=h)}
        wer = jiwer.wer(reference=r, hypothesis=h)
        return {"wer": wer} if metric_cls is WordErrorRate else {"exact_match": float(wer == 0)}

    return reference


CORES = {WordErrorRate: word_error_rate, CharErrorRate: char_error_rate, ExactMatch: exact_match}
TOLERANCES = {WordErrorRate: Tol(rel=1e-12, abs=1e-12), CharErrorRate: Tol(rel=1e-12, abs=1e-12),
              ExactMatch: Tol(abs=0)}  # fmt: skip


@pytest.mark.parametrize("metric_cls", [WordErrorRate, CharErrorRate, ExactMatch])
def test_matches_jiwer_in_every_batch_split(metric_cls: type) -> None:
    fields = {
        "hypothesis": [h for h, _ in PAIRS] + ["x"],
        "target_text": [r for _, r in PAIRS] + [""],
    }
    results = MetricTester(metric_cls).run(fields, _jiwer(metric_cls), TOLERANCES[metric_cls])
    assert results[-1][1] is not None  # the empty target stays an error, in every split
    assert all(error is None for _, error in results[:-1])
    # the functional core is exactly what the metric reports
    (output,) = metric_cls.outputs
    core = [CORES[metric_cls](h, r) for h, r in PAIRS]
    assert core == [values[output.name] for values, _ in results[:-1]]


def test_corpus_matches_jiwer_pooling() -> None:
    hyps = [h for h, _ in PAIRS]
    refs = [r for _, r in PAIRS]
    norm_h, norm_r = [normalize(h) for h in hyps], [normalize(r) for r in refs]
    assert corpus_wer(hyps, refs) == pytest.approx(jiwer.wer(norm_r, norm_h), rel=1e-12)
    assert corpus_cer(hyps, refs) == pytest.approx(jiwer.cer(norm_r, norm_h), rel=1e-12)
    per_item = [word_error_rate(h, r) for h, r in PAIRS]
    assert not math.isclose(corpus_wer(hyps, refs), sum(per_item) / len(per_item))
    with pytest.raises(ValueError):
        corpus_wer(["a"], ["a", "b"])


@pytest.mark.parametrize("target", ["", "   ", "um uh hmm", "!?,"])
@pytest.mark.parametrize("metric_cls", [WordErrorRate, CharErrorRate, ExactMatch])
def test_empty_reference_is_an_input_error(metric_cls: type, target: str) -> None:
    assert normalize(target) == ""
    with pytest.raises(MetricInputError, match="empty after normalisation"):
        metric_cls().score_item(hypothesis="anything", target_text=target)
    (result,) = metric_cls().score({"hypothesis": ["x"], "target_text": [target]})
    assert result.values == {} and "empty after normalisation" in (result.error or "")


@pytest.mark.parametrize("metric_cls", [WordErrorRate, CharErrorRate, ExactMatch])
def test_non_text_is_an_input_error(metric_cls: type) -> None:
    with pytest.raises(MetricInputError, match="hypothesis must be a str"):
        metric_cls().score_item(hypothesis=7, target_text="hello")
    with pytest.raises(MetricInputError, match="target_text must be a str"):
        metric_cls().score_item(hypothesis="hello", target_text=3)


@pytest.mark.parametrize("metric_cls", [WordErrorRate, CharErrorRate, ExactMatch])
def test_no_hypothesis_is_not_scored(metric_cls: type) -> None:
    # e.g. the soft re-synthesis transcript of an inverter that returned hard tokens only
    assert metric_cls().score_item(hypothesis=None, target_text="hello") == {}
    assert metric_cls().score_item(hypothesis="", target_text="hello") != {}


def test_signatures_and_declarations() -> None:
    for metric_cls, output, higher in (
        (WordErrorRate, "wer", False),
        (CharErrorRate, "cer", False),
        (ExactMatch, "exact_match", True),
    ):
        metric = metric_cls()
        signature = metric.signature()
        assert signature.startswith(f"{metric.name}|norm:{NORMALIZER_NAME}|tok:")
        assert signature.endswith("|version:1")
        assert [o.name for o in metric.outputs] == [output]
        assert metric.outputs[0].higher_is_better is higher
        assert metric.requires == ("hypothesis", "target_text")
