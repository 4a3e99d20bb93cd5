r"""Text error metrics for transcripts: word error rate, character error rate, exact match.

Both texts first go through Whisper's English normaliser (:mod:`invbench.metrics.text_normalizer`);
words are then the whitespace-separated tokens, and characters are the characters of the
normalised string, spaces included (what jiwer's default ``wer`` and ``cer`` transforms see).

With :math:`S, D, I` the substitutions, deletions and insertions of a minimum-cost (unit-cost
Levenshtein) alignment of the hypothesis to the reference, and :math:`N` the reference length:

.. math::
    \mathrm{WER} = \frac{S + D + I}{N}

per item (CER is the same over characters). A corpus score pools the sufficient statistics:
:math:`\sum_i (S_i + D_i + I_i) / \sum_i N_i` (:func:`corpus_wer`), which is *not* the mean of the
per-item rates; the leaderboard averages per-item scores.

Edge cases: a hypothesis that normalises to nothing has WER 1.0 (everything deleted); a reference
that normalises to nothing cannot be scored (:class:`~invbench.contracts.MetricInputError`).

Example:
    >>> from invbench.metrics.text_error import WordErrorRate, word_error_rate
    >>> word_error_rate("The cat sat.", "the cat sat on the mat")
    0.5
    >>> WordErrorRate().score_item(hypothesis="Hello, world!", target_text="hello world")
    {'wer': 0.0}
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, ClassVar

from invbench.contracts.metric import Metric, MetricInputError, MetricOutput
from invbench.metrics.text_normalizer import NORMALIZER_NAME, normalize

EditStats = tuple[int, int]
"""Sufficient statistics of one pair: (edit operations, reference length)."""


def _edit_stats(
    hypothesis_tokens: Sequence[Hashable], reference_tokens: Sequence[Hashable]
) -> EditStats:
    """Unit-cost Levenshtein distance between two token sequences, and the reference length.

    Classic dynamic programme over a single rolling row: ``row[j]`` holds the distance between the
    first ``i`` reference tokens and the first ``j`` hypothesis tokens.

    >>> _edit_stats(["a", "x", "c", "d"], ["a", "b", "c"])
    (2, 3)
    """
    hyp = list(hypothesis_tokens)
    ref = list(reference_tokens)
    row = list(range(len(hyp) + 1))  # distance from the empty reference prefix: j insertions
    for i, ref_token in enumerate(ref, start=1):
        diagonal, row[0] = row[0], i  # i deletions against the empty hypothesis prefix
        for j, hyp_token in enumerate(hyp, start=1):
            substitution = diagonal + (ref_token != hyp_token)
            diagonal = row[j]
            row[j] = min(substitution, diagonal + 1, row[j - 1] + 1)  # sub, deletion, insertion
    return row[-1], len(ref)


def _compute(stats: EditStats) -> float:
    """Error rate from sufficient statistics ``(edits, reference_length)``."""
    edits, reference_length = stats
    if reference_length <= 0:
        raise MetricInputError("reference is empty after normalisation; error rate is undefined")
    return edits / reference_length


def _check_text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise MetricInputError(f"{field} must be a str, got {type(value).__name__}")
    return value


def _words(text: str) -> list[str]:
    return text.split()


def _chars(text: str) -> list[str]:
    return list(" ".join(text.split()))


def _stats(hypothesis: str, reference: str, unit: str) -> EditStats:
    tokenize = _words if unit == "word" else _chars
    hyp = tokenize(normalize(_check_text(hypothesis, "hypothesis")))
    ref = tokenize(normalize(_check_text(reference, "target_text")))
    if not ref:
        raise MetricInputError(
            f"target text {reference!r} is empty after normalisation; error rate is undefined"
        )
    return _edit_stats(hyp, ref)


def word_error_rate(hypothesis: str, reference: str) -> float:
    """WER of one normalised hypothesis against one normalised reference."""
    return _compute(_stats(hypothesis, reference, "word"))


def char_error_rate(hypothesis: str, reference: str) -> float:
    """CER of one normalised hypothesis against one normalised reference (spaces count)."""
    return _compute(_stats(hypothesis, reference, "char"))


def exact_match(hypothesis: str, reference: str) -> float:
    """1.0 if the normalised word sequences are identical (WER 0), else 0.0."""
    return 1.0 if _stats(hypothesis, reference, "word")[0] == 0 else 0.0


def _corpus(hypotheses: Iterable[str], references: Iterable[str], unit: str) -> float:
    hyps, refs = list(hypotheses), list(references)
    if len(hyps) != len(refs):
        raise ValueError(f"got {len(hyps)} hypotheses but {len(refs)} references")
    if not refs:
        raise ValueError("corpus is empty")
    pairs = [_stats(h, r, unit) for h, r in zip(hyps, refs, strict=True)]
    return _compute((sum(e for e, _ in pairs), sum(n for _, n in pairs)))


def corpus_wer(hypotheses: Iterable[str], references: Iterable[str]) -> float:
    r"""Pooled WER :math:`\sum_i E_i / \sum_i N_i` (jiwer's list form), not the mean of items.

    >>> corpus_wer(["a b", "c"], ["a b", "d e f"])
    0.6
    """
    return _corpus(hypotheses, references, "word")


def corpus_cer(hypotheses: Iterable[str], references: Iterable[str]) -> float:
    """Pooled CER over characters, as :func:`corpus_wer` over words."""
    return _corpus(hypotheses, references, "char")


class _TextMetric(Metric):
    requires: ClassVar[tuple[str, ...]] = ("hypothesis", "target_text")
    reference: ClassVar[str] = "jiwer"
    _tokens: ClassVar[str] = "whitespace"

    def settings(self) -> dict[str, Any]:
        return {"norm": NORMALIZER_NAME, "tok": self._tokens}

    @staticmethod
    def _score(hypothesis: str, target_text: str) -> float:
        raise NotImplementedError

    def score_item(self, hypothesis: str | None, target_text: str, **_: Any) -> dict[str, float]:
        # No hypothesis: e.g. the transcript of a soft re-synthesis (``fields: {hypothesis:
        # soft_transcript}``) for an inverter that returned hard tokens only. Not scored.
        if hypothesis is None:
            return {}
        return {self.name: self._score(hypothesis, target_text)}


class WordErrorRate(_TextMetric):
    r"""Word error rate :math:`(S + D + I) / N` of the transcript against the target text.

    Example:
        >>> WordErrorRate().score_item(hypothesis="a cat sat", target_text="the cat sat")
        {'wer': 0.3333333333333333}
    """

    name: ClassVar[str] = "wer"
    description: ClassVar[str] = "word error rate of the transcript vs the target (Whisper norm.)"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("wer", False, (0.0, float("inf")), "word edits / reference words"),
    )

    _score = staticmethod(word_error_rate)


class CharErrorRate(_TextMetric):
    r"""Character error rate :math:`(S + D + I) / N` over characters, spaces included.

    Example:
        >>> CharErrorRate().score_item(hypothesis="cat", target_text="cap")
        {'cer': 0.3333333333333333}
    """

    name: ClassVar[str] = "cer"
    description: ClassVar[str] = "character error rate of the transcript vs the target"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("cer", False, (0.0, float("inf")), "character edits / reference characters"),
    )
    _tokens: ClassVar[str] = "char-incl-space"

    _score = staticmethod(char_error_rate)


class ExactMatch(_TextMetric):
    """1 when the normalised transcript equals the normalised target word for word, else 0.

    Averaged over items this is the inversion *success rate*.

    Example:
        >>> ExactMatch().score_item(hypothesis="Twenty-five dollars.", target_text="$25")
        {'exact_match': 1.0}
    """

    name: ClassVar[str] = "exact_match"
    description: ClassVar[str] = "1 if the normalised transcript equals the target, else 0"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("exact_match", True, (0.0, 1.0), "normalised transcript == target"),
    )

    _score = staticmethod(exact_match)
