"""Sentence BLEU and chrF against direct ``sacrebleu.sentence_bleu`` / ``sentence_chrf`` calls."""

from __future__ import annotations

import math
import random

import pytest
import sacrebleu
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


@pytest.mark.parametrize(("hyp", "ref", "bleu", "chrf"), TABLE)
def test_table_matches_sacrebleu(hyp: str, ref: str, bleu: float | None, chrf: float | None):
    expected_bleu = sacrebleu.sentence_bleu(hyp, [ref]).score
    expected_chrf = sacrebleu.sentence_chrf(hyp, [ref]).score
    got_bleu = BLEU().score_item(hypothesis=hyp, target_text=ref)
    got_chrf = ChrF().score_item(hypothesis=hyp, target_text=ref)
    assert got_bleu == {"bleu": pytest.approx(expected_bleu, abs=1e-9)}
    assert got_chrf == {"chrf": pytest.approx(expected_chrf, abs=1e-9)}
    if bleu is not None:
        assert got_bleu["bleu"] == pytest.approx(bleu, abs=1e-9)
    if chrf is not None:
        assert got_chrf["chrf"] == pytest.approx(chrf, abs=1e-9)
    assert 0.0 <= got_bleu["bleu"] <= 100.0 and 0.0 <= got_chrf["chrf"] <= 100.0


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


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_pairs_match_sacrebleu(seed: int) -> None:
    bleu, chrf = BLEU(), ChrF()
    for hyp, ref in _random_pairs(40, seed):
        assert bleu.score_item(hypothesis=hyp, target_text=ref)["bleu"] == pytest.approx(
            sacrebleu.sentence_bleu(hyp, [ref]).score, abs=1e-9
        )
        assert chrf.score_item(hypothesis=hyp, target_text=ref)["chrf"] == pytest.approx(
            sacrebleu.sentence_chrf(hyp, [ref]).score, abs=1e-9
        )


def test_perfect_match_is_clamped_to_100() -> None:
    hyp = "a large red circle above and left of a small blue square on a grey background"
    raw = sacrebleu.sentence_bleu(hyp, [hyp]).score
    assert raw == pytest.approx(100.0, abs=1e-9)  # 100.00000000000004 in sacrebleu 2.4-2.6
    assert BLEU().score_item(hypothesis=hyp, target_text=hyp) == {"bleu": 100.0}


@pytest.mark.parametrize("factory", [BLEU, ChrF])
def test_batch_size_never_changes_a_score(kit, factory) -> None:
    pairs = _random_pairs(9, 5)
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    hyps[2], refs[4], hyps[6] = "", "   ", None
    results = kit.check_batch_invariance(factory, {"hypothesis": hyps, "target_text": refs})
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
