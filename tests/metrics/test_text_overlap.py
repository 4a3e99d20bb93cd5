"""Sentence BLEU and chrF against direct ``sacrebleu.sentence_bleu`` / ``sentence_chrf`` calls."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest
import sacrebleu
from metric_tester import MetricTester, Tol
from sacrebleu.metrics import BLEU as SacreBLEU
from sacrebleu.metrics import CHRF as SacreCHRF

from invbench.contracts.metric import MetricInputError
from invbench.metrics.text_overlap import BLEU, ChrF

# (hypothesis, target, expected BLEU, expected chrF); None = take sacrebleu's value only
TABLE = [
    ("a red circle", "a red circle", 100.0, 100.0),
    ("the cat", "the cat sat", 100 * math.exp(1 - 3 / 2), None),  # p1 = p2 = 1, BP = e^(-1/2)
    ("blue", "a red circle", 0.0, None),
    ("", "a red circle", 0.0, 0.0),
    ("a large red circle above a small square", "a large red circle left of a ring", None, None),
    ("A Red Circle", "a red circle", None, None),  # case-sensitive
    ("a red circle.", "a red circle", None, None),  # 13a splits the full stop
    ("un cercle rouge, très grand", "un grand cercle rouge", None, None),
    ("circle red a", "a red circle", None, None),
    ("a red circle " * 8, "a red circle", None, None),  # long hypothesis: precision drop only
]


def _sacrebleu(name: str) -> Callable[..., dict[str, float] | None]:
    """The reference: a direct ``sentence_bleu`` / ``sentence_chrf`` call (None where we refuse
    the item: no hypothesis, or an empty target)."""
    scorer = sacrebleu.sentence_bleu if name == "bleu" else sacrebleu.sentence_chrf

    def reference(hypothesis: str, target_text: str) -> dict[str, float] | None:
        if not isinstance(hypothesis, str) or not target_text.strip():
            return None
        return {name: scorer(hypothesis, [target_text]).score}

    return reference


TOL = Tol(abs=1e-9)


@pytest.mark.parametrize("factory", [BLEU, ChrF])
def test_table_matches_sacrebleu(factory) -> None:
    fields = {"hypothesis": [row[0] for row in TABLE], "target_text": [row[1] for row in TABLE]}
    results = MetricTester(factory).run(fields, _sacrebleu(factory.name), TOL)  # range 0..100 too
    column = 2 if factory is BLEU else 3
    for (values, _), row in zip(results, TABLE, strict=True):
        if row[column] is not None:  # the hand-worked value, where there is one
            assert values[factory.name] == pytest.approx(row[column], abs=1e-9)


def _random_pairs(n: int, seed: int) -> list[tuple[str, str]]:
    words = ["a", "the", "red", "blue", "green", "small", "large", "circle", "square"]
    words += ["ring", "left", "of", "above", "on", "grey"]
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        ref = rng.choices(words, k=rng.randint(1, 12))
        hyp = [w if rng.random() < 0.6 else rng.choice(words) for w in ref]
        hyp = hyp[: rng.randint(0, len(hyp) + 2)] + rng.choices(words, k=rng.randint(0, 3))
        pairs.append((" ".join(hyp), " ".join(ref)))
    return pairs


@pytest.mark.parametrize("factory", [BLEU, ChrF])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_pairs_match_sacrebleu(factory, seed: int) -> None:
    pairs = _random_pairs(40, seed)
    fields = {"hypothesis": [h for h, _ in pairs], "target_text": [r for _, r in pairs]}
    results = MetricTester(factory).run(fields, _sacrebleu(factory.name), TOL)
    assert len(results) == 40 and all(error is None for _, error in results)


def test_perfect_match_is_clamped_to_100() -> None:
    hyp = "a large red circle above and left of a small blue square on a grey background"
    raw = sacrebleu.sentence_bleu(hyp, [hyp]).score
    assert raw == pytest.approx(100.0, abs=1e-9)  # 100.00000000000004 in sacrebleu 2.4-2.6
    assert BLEU().score_item(hypothesis=hyp, target_text=hyp) == {"bleu": 100.0}


@pytest.mark.parametrize("factory", [BLEU, ChrF])
def test_batch_size_never_changes_a_score(factory) -> None:
    pairs = _random_pairs(9, 5)
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    hyps[2], refs[4], hyps[6] = "", "   ", None
    fields = {"hypothesis": hyps, "target_text": refs}
    results = MetricTester(factory).run(fields, _sacrebleu(factory.name), TOL)
    assert results[2][0] == {factory.name: 0.0}
    assert "target_text '   ' is empty" in results[4][1]
    assert "hypothesis must be a str, got NoneType" in results[6][1]
    assert all(results[i][0] for i in (0, 1, 3, 5, 7, 8))


@pytest.mark.parametrize("factory", [BLEU, ChrF])
@pytest.mark.parametrize(
    ("hyp", "ref", "message"),
    [
        ("a", "", "target_text '' is empty"),
        ("a", " \n", "is empty; overlap is undefined"),
        (None, "a", "hypothesis must be a str, got NoneType"),
        ("a", ["a"], "target_text must be a str, got list"),
    ],
)
def test_input_errors(factory, hyp, ref, message: str) -> None:
    with pytest.raises(MetricInputError, match=message):
        factory().score_item(hypothesis=hyp, target_text=ref)


@pytest.mark.parametrize(
    ("factory", "scorer", "extra"),
    [(BLEU, SacreBLEU(effective_order=True), ""), (ChrF, SacreCHRF(), "|beta:2")],
)
def test_signature_carries_sacrebleus_signature(factory, scorer, extra: str) -> None:
    scorer.sentence_score("x", ["y"])
    theirs = scorer.get_signature().format()  # e.g. nrefs:1|case:mixed|...|version:2.4.0
    fields, sacrebleu_version = theirs.rsplit("|version:", 1)
    metric = factory()
    assert metric.sacrebleu_signature() == theirs
    assert metric.signature() == (
        f"{factory.name}|{fields}{extra}|sacrebleu:{sacrebleu_version}|version:1"
    )


def test_signature_examples() -> None:
    v = sacrebleu.__version__
    assert BLEU().signature() == (
        f"bleu|nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|sacrebleu:{v}|version:1"
    )
    assert ChrF().signature() == (
        f"chrf|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|beta:2|sacrebleu:{v}|version:1"
    )
    assert BLEU.requires == ChrF.requires == ("hypothesis", "target_text")
    assert BLEU.outputs[0].higher_is_better and BLEU.outputs[0].value_range == (0.0, 100.0)
