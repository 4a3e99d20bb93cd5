r"""Semantic similarity: cosine of all-MiniLM-L6-v2 sentence embeddings of two texts.

Each text is embedded on its own by :func:`invbench.models.minilm.load_minilm` (the
sentence-transformers pipeline of all-MiniLM-L6-v2: WordPiece tokens, at most 256, a BERT forward,
mean pooling over the tokens, L2 normalisation), giving unit vectors :math:`e(h), e(t)`; then

.. math::
    \mathrm{sim}(h, t) = \frac{e(h) \cdot e(t)}{\lVert e(h) \rVert \, \lVert e(t) \rVert}
    \in [-1, 1]

computed in float64 from the float32 embeddings. Each text is encoded alone (no padding), so a
value never depends on what else is in the batch. The reference is sentence-transformers'
``util.cos_sim`` of ``SentenceTransformer.encode`` (tested equal within 1e-5).

Empty texts: an empty or whitespace-only *target* cannot be scored
(:class:`~invbench.contracts.MetricInputError`). An empty or whitespace-only *hypothesis* (an
inverter that recovered nothing) is defined to score **0.0**, not whatever MiniLM makes of the
empty string: sentence-transformers embeds ``""`` as the pooled ``[CLS] [SEP]`` pair, which sits at
a cosine of about 0.15-0.35 to ordinary sentences — above many unrelated sentences — so recovering
nothing would outscore recovering something wrong. An error would drop the item from the mean,
rewarding the failure the same way; 0 ("no meaning in common") keeps it in.

Example:
    >>> from invbench.metrics.semantic_similarity import SemanticSimilarity
    >>> metric = SemanticSimilarity()
    >>> same = metric.score_item(hypothesis="a red circle", target_text="a red circle")
    >>> round(same["semantic_similarity"], 5)
    1.0
    >>> near = metric.score_item(hypothesis="a crimson disc", target_text="a red circle")
    >>> far = metric.score_item(hypothesis="stock market news", target_text="a red circle")
    >>> near["semantic_similarity"] > far["semantic_similarity"]
    True
    >>> metric.score_item(hypothesis="  ", target_text="a red circle")
    {'semantic_similarity': 0.0}
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from invbench.contracts.metric import Metric, MetricInputError, MetricOutput
from invbench.models import minilm


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two 1-D vectors in float64, clipped to [-1, 1] against round-off."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    value = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return min(max(value, -1.0), 1.0)


def _check_text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise MetricInputError(f"{field} must be a str, got {type(value).__name__}")
    return value


class SemanticSimilarity(Metric):
    """Cosine of MiniLM sentence embeddings of the hypothesis and the target text."""

    name: ClassVar[str] = "semantic_similarity"
    description: ClassVar[str] = "cosine of all-MiniLM-L6-v2 embeddings of hypothesis and target"
    requires: ClassVar[tuple[str, ...]] = ("hypothesis", "target_text")
    reference: ClassVar[str] = "sentence-transformers"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput(
            "semantic_similarity", True, (-1.0, 1.0), "cosine of MiniLM sentence embeddings"
        ),
    )

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    def settings(self) -> dict[str, Any]:
        return {
            "model": minilm.NAME,
            "sha256": minilm.load_minilm(self.device).weights_sha256[:12],
            "pooling": "mean",
            "norm": "l2",
            "max_tokens": minilm.MAX_TOKENS,
            "empty_hyp": 0,
        }

    def embed(self, text: str) -> np.ndarray:
        """The unit-norm MiniLM embedding of one text, as float64 ``(384,)``."""
        return minilm.load_minilm(self.device).encode([text])[0].cpu().numpy().astype(np.float64)

    def score_item(self, hypothesis: str, target_text: str, **_: Any) -> dict[str, float]:
        hypothesis = _check_text(hypothesis, "hypothesis")
        target_text = _check_text(target_text, "target_text")
        if not target_text.strip():
            raise MetricInputError(f"target_text {target_text!r} is empty; similarity is undefined")
        if not hypothesis.strip():
            return {"semantic_similarity": 0.0}
        return {"semantic_similarity": cosine(self.embed(hypothesis), self.embed(target_text))}
