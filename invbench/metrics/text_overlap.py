r"""Text overlap metrics for captions and recovered prompts: sentence BLEU and chrF (sacrebleu).

Each item is scored on its own with sacrebleu's sentence-level scorers against its one reference.

**BLEU** (Papineni et al. 2002), ``BLEU(effective_order=True)``: with :math:`p_n` the clipped
n-gram precisions of the 13a-tokenised, case-sensitive hypothesis (orders :math:`n \le 4` that the
hypothesis has at all: *effective order*), exponential smoothing of zero counts, hypothesis length
:math:`c` and reference length :math:`r`,

.. math::
    \mathrm{BLEU} = 100 \cdot \min(1, e^{1 - r/c}) \cdot
    \exp\Big(\tfrac{1}{N} \sum_{n=1}^{N} \log p_n\Big)

**chrF** (Popović 2015), ``CHRF()``: character n-gram (:math:`n \le 6`, whitespace removed)
precision :math:`P` and recall :math:`R` averaged over orders, combined with :math:`\beta = 2`:

.. math::
    \mathrm{chrF} = 100 \cdot \frac{(1 + \beta^2) P R}{\beta^2 P + R}

The signature carries sacrebleu's own signature fields (``nrefs``, ``case``, ``eff``, ``tok``,
``smooth`` / ``nc``, ``nw``, ``space``) with sacrebleu's version under the key ``sacrebleu``
(``version`` is reserved for invbench's implementation version, last).

Edge cases: an empty hypothesis (a captioner that said nothing) scores 0, as sacrebleu scores it;
an empty or whitespace-only target cannot be scored (:class:`~invbench.contracts.MetricInputError`:
sacrebleu would silently return 0). A perfect match can come out of sacrebleu's log-exp as
``100.00000000000004``; values are clamped to [0, 100] (a change below 1e-12).

Example:
    >>> from invbench.metrics.text_overlap import BLEU, ChrF
    >>> BLEU().score_item(hypothesis="a red circle", target_text="a red circle")
    {'bleu': 100.0}
    >>> round(ChrF().score_item(hypothesis="a red square", target_text="a red circle")["chrf"], 2)
    22.1
"""

from __future__ import annotations

from typing import Any, ClassVar

from sacrebleu.metrics import BLEU as SacreBLEU
from sacrebleu.metrics import CHRF as SacreCHRF
from sacrebleu.metrics.base import Metric as SacreMetric

from invbench.contracts.metric import Metric, MetricInputError, MetricOutput


def _check_texts(hypothesis: Any, target_text: Any) -> tuple[str, str]:
    for value, field in ((hypothesis, "hypothesis"), (target_text, "target_text")):
        if not isinstance(value, str):
            raise MetricInputError(f"{field} must be a str, got {type(value).__name__}")
    if not target_text.strip():
        raise MetricInputError(f"target_text {target_text!r} is empty; overlap is undefined")
    return hypothesis, target_text


def sacrebleu_settings(scorer: SacreMetric, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """sacrebleu's signature fields for one reference per item, its version as ``sacrebleu``."""
    scorer.sentence_score("a", ["a"])  # sacrebleu knows nrefs only after scoring something
    info = {k: v for k, v in scorer.get_signature().info.items() if v is not None}
    settings = {k: ("yes" if v is True else "no" if v is False else v) for k, v in info.items()}
    settings = {k: v for k, v in settings.items() if k != "version"}
    settings.update(extra or {})
    settings["sacrebleu"] = info["version"]
    return settings


class _Overlap(Metric):
    requires: ClassVar[tuple[str, ...]] = ("hypothesis", "target_text")
    reference: ClassVar[str] = "sacrebleu"

    def __init__(self) -> None:
        self._scorer = self._make_scorer()

    def _make_scorer(self) -> SacreMetric:
        raise NotImplementedError

    def sacrebleu_signature(self) -> str:
        """sacrebleu's own signature string (``get_signature().format()``) for this scorer."""
        self._scorer.sentence_score("a", ["a"])
        return self._scorer.get_signature().format()

    def _score(self, hypothesis: Any, target_text: Any) -> float:
        hyp, ref = _check_texts(hypothesis, target_text)
        return min(max(float(self._scorer.sentence_score(hyp, [ref]).score), 0.0), 100.0)


class BLEU(_Overlap):
    """Sentence BLEU (effective order, exp smoothing, 13a, case-sensitive) vs the target text."""

    name: ClassVar[str] = "bleu"
    description: ClassVar[str] = "sentence BLEU of the hypothesis vs the target (sacrebleu)"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("bleu", True, (0.0, 100.0), "sacrebleu sentence BLEU, effective order"),
    )

    def _make_scorer(self) -> SacreMetric:
        return SacreBLEU(effective_order=True)

    def settings(self) -> dict[str, Any]:
        return sacrebleu_settings(self._scorer)

    def score_item(self, hypothesis: str, target_text: str, **_: Any) -> dict[str, float]:
        return {"bleu": self._score(hypothesis, target_text)}


class ChrF(_Overlap):
    """Sentence chrF2 (character 6-grams, no word n-grams, whitespace removed) vs the target."""

    name: ClassVar[str] = "chrf"
    description: ClassVar[str] = "sentence chrF2 of the hypothesis vs the target (sacrebleu)"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("chrf", True, (0.0, 100.0), "sacrebleu sentence chrF, beta 2"),
    )

    def _make_scorer(self) -> SacreMetric:
        return SacreCHRF()

    def settings(self) -> dict[str, Any]:
        # sacrebleu puts beta in the score's name (chrF2), not in its signature
        return sacrebleu_settings(self._scorer, {"beta": self._scorer.beta})

    def score_item(self, hypothesis: str, target_text: str, **_: Any) -> dict[str, float]:
        return {"chrf": self._score(hypothesis, target_text)}
