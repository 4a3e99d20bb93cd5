"""Nearest-token cosine against torchmetrics' ``pairwise_cosine_similarity`` and scikit-learn's
``cosine_similarity`` (max over the allowed rows, mean over positions), its random control, and
token validity on hand-made vocabulary tables and the real all-MiniLM-L6-v2 vocabulary."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from metric_tester import MetricTester, Tol
from sklearn.metrics.pairwise import cosine_similarity as sk_cosine
from torchmetrics.functional import pairwise_cosine_similarity

from invbench.contracts.metric import MetricInputError
from invbench.metrics.token_interpretability import (
    NearestTokenCosine,
    TokenValidity,
    control_seed,
    random_token_cosine,
)


def _toy(vocab: int = 400, dim: int = 24, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    table = torch.randn(vocab, dim, generator=g) * torch.linspace(0.5, 2.0, dim) + 0.3
    mask = torch.rand(vocab, generator=g) > 0.2
    mask[:5] = False  # "special tokens"
    return table, mask


def _reference_ntc(soft: torch.Tensor, table: torch.Tensor, mask: torch.Tensor) -> float:
    return float(pairwise_cosine_similarity(soft.double(), table[mask].double()).max(1)[0].mean())


def _sklearn_ntc(soft: torch.Tensor, table: torch.Tensor, mask: torch.Tensor) -> float:
    return float(sk_cosine(soft.double().numpy(), table[mask].double().numpy()).max(1).mean())


def _nearest(reference_fn):
    """A tester reference: ``reference_fn`` for the nearest-token cosine of one item."""

    def reference(soft_embeddings, embedding_table, prompt_token_mask) -> dict[str, float] | None:
        if soft_embeddings is None:
            return None
        value = reference_fn(soft_embeddings, embedding_table, prompt_token_mask)
        return {"nearest_token_cosine": value}

    return reference


def _fields(softs: list, table: torch.Tensor, mask: torch.Tensor) -> dict[str, list]:
    n = len(softs)
    return {
        "soft_embeddings": softs,
        "embedding_table": [table] * n,
        "prompt_token_mask": [mask] * n,
    }


def _ntc(soft, table, mask, seed: int = 0) -> dict[str, float]:
    return NearestTokenCosine(seed=seed).score_item(
        soft_embeddings=soft, embedding_table=table, prompt_token_mask=mask
    )


@pytest.fixture(scope="module")
def minilm() -> tuple[torch.Tensor, torch.Tensor, list[str], object]:
    from invbench.models.minilm import load_minilm

    model = load_minilm()
    tokenizer = model.tokenizer
    strings = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    special = set(tokenizer.all_special_ids)
    mask = torch.tensor(
        [i not in special and not s.startswith("[unused") for i, s in enumerate(strings)]
    )
    return model.token_embeddings.detach(), mask, strings, tokenizer


# (soft rows, expected nearest-token cosine) on a 2-D table with id 2 disallowed, by hand
TOY_TABLE = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, 0.5]])
TOY_MASK = torch.tensor([True, True, False, True])
TABLE = [
    ([[3.0, 0.0]], 1.0),
    ([[0.0, -2.0]], 0.0),  # nearest allowed: id 0 at cos 0 (id 1, 3 at -1)
    ([[-1.0, 0.0]], 0.0),  # the disallowed id 2 would give 1
    ([[1.0, 1.0]], 2**-0.5),
    ([[1.0, 1.0], [5.0, 0.0]], (2**-0.5 + 1) / 2),
    ([[-1.0, -1.0]], -(2**-0.5)),  # every allowed token points away
]


@pytest.mark.parametrize(("soft", "expected"), TABLE)
def test_table(soft, expected: float) -> None:
    got = _ntc(torch.tensor(soft), TOY_TABLE, TOY_MASK)["nearest_token_cosine"]
    assert got == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_torchmetrics_and_sklearn(seed: int) -> None:
    table, mask = _toy(seed=seed)
    g = torch.Generator().manual_seed(100 + seed)
    soft = torch.randn(7, table.shape[1], generator=g)
    allowed_ids = torch.nonzero(mask).flatten()
    soft[:3] = table[allowed_ids[:3]] * 2.0 + 0.05 * soft[:3]  # some rows near tokens
    # the disallowed rows matter: without the mask the value would differ on the special rows
    fields = _fields([soft, table[:2].clone()], table, mask)
    tester = MetricTester(NearestTokenCosine)
    results = tester.run(fields, _nearest(_reference_ntc), Tol(abs=1e-6))
    assert tester.assert_matches(results, fields, _nearest(_sklearn_ntc), Tol(abs=1e-6)) == 2
    assert results[1][0]["nearest_token_cosine"] < 0.999


def test_control_is_the_statistic_of_its_gaussian_draw() -> None:
    table, mask = _toy(seed=4)
    length, seed = 6, 3
    rows = table[mask].double().numpy()
    mean, std = rows.mean(axis=0), rows.std(axis=0)  # numpy's default ddof=0
    g = torch.Generator().manual_seed(control_seed(seed, length))
    noise = torch.randn(length, table.shape[1], generator=g, dtype=torch.float64).numpy()
    vectors = torch.from_numpy(mean + std * noise)
    expected = _sklearn_ntc(vectors, table, mask)
    assert random_token_cosine(table, mask, length, seed) == pytest.approx(expected, abs=1e-6)
    soft = torch.randn(length, table.shape[1])
    MetricTester(lambda: NearestTokenCosine(seed=seed)).run(
        _fields([soft], table, mask), [{"random_token_cosine": expected}], Tol(abs=1e-6)
    )


def test_control_depends_on_seed_and_length_only() -> None:
    table, mask = _toy(seed=5)
    g = torch.Generator().manual_seed(6)
    lengths = [3, 3, 5, 3, 1, 5, 3, 2]
    softs = [torch.randn(n, table.shape[1], generator=g) * (1 + i) for i, n in enumerate(lengths)]
    n = len(softs)
    fields = _fields(softs, table, mask)
    results = MetricTester(lambda: NearestTokenCosine(seed=0)).run(
        fields, _nearest(_reference_ntc), Tol(abs=1e-6)
    )
    by_length: dict[int, set[float]] = {}
    for length, (values, error) in zip(lengths, results, strict=True):
        assert error is None
        by_length.setdefault(length, set()).add(values["random_token_cosine"])
    assert all(len(v) == 1 for v in by_length.values())  # same L, same control
    assert len({v.pop() for v in by_length.values()}) == 4  # different L, different draws
    assert len({values["nearest_token_cosine"] for values, _ in results}) == n
    other_seed = NearestTokenCosine(seed=1).score(fields)
    assert all(
        a.values["random_token_cosine"] != b[0]["random_token_cosine"]
        for a, b in zip(other_seed, results, strict=True)
    )
    # a fresh metric (no cached control) and a different item give the same control
    fresh = _ntc(torch.ones(3, table.shape[1]), table, mask)["random_token_cosine"]
    assert fresh == results[0][0]["random_token_cosine"]


def test_control_cache_follows_the_table() -> None:
    table, mask = _toy(seed=7)
    other, _ = _toy(seed=8)
    metric = NearestTokenCosine()
    soft = torch.randn(4, table.shape[1])
    first = metric.score_item(soft_embeddings=soft, embedding_table=table, prompt_token_mask=mask)
    second = metric.score_item(soft_embeddings=soft, embedding_table=other, prompt_token_mask=mask)
    assert second["random_token_cosine"] == _ntc(soft, other, mask)["random_token_cosine"]
    assert first["random_token_cosine"] != second["random_token_cosine"]
    table.mul_(-1.0)  # modified in place: the cached control must not be reused
    third = metric.score_item(soft_embeddings=soft, embedding_table=table, prompt_token_mask=mask)
    assert third["random_token_cosine"] == _ntc(soft, table.clone(), mask)["random_token_cosine"]


def test_real_minilm_table(minilm) -> None:
    table, mask, strings, tokenizer = minilm
    ids = tokenizer.convert_tokens_to_ids(["red", "circle", "large", "##ing", "the"])
    assert all(mask[i] for i in ids)
    on_tokens = _ntc(table[ids], table, mask)
    # real token rows: 1 up to float32 round-off (never above 1: clamped)
    assert on_tokens["nearest_token_cosine"] == pytest.approx(1.0, abs=1e-6)
    assert on_tokens["nearest_token_cosine"] <= 1.0
    assert on_tokens["random_token_cosine"] < 0.6  # chance level, clearly below 1
    assert on_tokens["random_token_cosine"] > -1.0
    g = torch.Generator().manual_seed(0)
    halfway = 0.5 * table[ids] + 0.5 * torch.randn(len(ids), table.shape[1], generator=g) * 0.05
    ((halfway_values, _),) = MetricTester(NearestTokenCosine).run(
        _fields([halfway], table, mask), _nearest(_reference_ntc), Tol(abs=1e-5), splits=()
    )
    got = halfway_values["nearest_token_cosine"]
    assert on_tokens["random_token_cosine"] < got < 1.0
    unused = strings.index("[unused3]")  # an unused slot is never its own nearest token
    assert _ntc(table[[unused]], table, mask)["nearest_token_cosine"] < 1.0


def test_no_soft_embeddings_is_not_scored() -> None:
    table, mask = _toy()
    allowed = int(torch.nonzero(mask)[0])
    assert _ntc(None, table, mask) == {}
    results = NearestTokenCosine().score(
        {
            "soft_embeddings": [None, table[[allowed]]],
            "embedding_table": [table, table],
            "prompt_token_mask": [mask, mask],
        }
    )
    assert results[0].values == {} and results[0].error is None
    assert results[1].values["nearest_token_cosine"] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    ("soft", "table", "mask", "message"),
    [
        ("wrong_d", "ok", "ok", r"^soft_embeddings has shape \(3, 23\), expected \(L, 24\)"),
        ("nan", "ok", "ok", "^soft_embeddings contains NaN or infinite values"),
        ("empty", "ok", "ok", r"^soft_embeddings holds no positions \(L = 0\)"),
        ("int", "ok", "ok", "^soft_embeddings must be floating point, got torch.int64"),
        ("vector", "ok", "ok", r"^soft_embeddings has shape \(24,\)"),
        ("list", "ok", "ok", "^soft_embeddings must be a tensor, got list"),
        ("ok", "list", "ok", "^embedding_table must be a tensor, got list"),
        ("ok", "ok", "short", r"^prompt_token_mask is torch.bool of shape \(399,\), expected"),
        ("ok", "ok", "float", "^prompt_token_mask is torch.float32"),
        ("ok", "ok", "none", "^prompt_token_mask allows no token"),
    ],
)
def test_nearest_token_input_errors(soft: str, table: str, mask: str, message: str) -> None:
    good_table, good_mask = _toy()
    good_soft = torch.randn(3, 24)
    softs = {
        "ok": good_soft,
        "wrong_d": torch.randn(3, 23),
        "nan": torch.where(torch.arange(24) == 5, torch.nan, good_soft),
        "empty": torch.empty(0, 24),
        "int": torch.ones(3, 24, dtype=torch.long),
        "vector": torch.randn(24),
        "list": good_soft.tolist(),
    }
    tables = {"ok": good_table, "list": good_table.tolist()}
    masks = {
        "ok": good_mask,
        "short": good_mask[:-1],
        "float": good_mask.float(),
        "none": torch.zeros_like(good_mask),
    }
    item = {
        "soft_embeddings": softs[soft],
        "embedding_table": tables[table],
        "prompt_token_mask": masks[mask],
    }
    with pytest.raises(MetricInputError, match=message):
        NearestTokenCosine().score_item(**item)
    # through score(): a per-item error string naming the field, the other item still scored
    batch = {
        "soft_embeddings": [item["soft_embeddings"], good_soft],
        "embedding_table": [item["embedding_table"], good_table],
        "prompt_token_mask": [item["prompt_token_mask"], good_mask],
    }
    results = NearestTokenCosine().score(batch)
    field = message.lstrip("^").split(" ")[0]
    assert results[0].error.startswith(f"nearest_token_cosine: {field} ")
    assert set(results[1].values) == {"nearest_token_cosine", "random_token_cosine"}


# A toy WordPiece vocabulary: its mask is "not special, not [unused" (and one hidden word)
VOCAB = ["[PAD]", "[unused3]", "[CLS]", "a", "large", "##ing", "42", "café", "red", "hidden", "."]
VOCAB_MASK = torch.tensor(
    [not (s.startswith("[") or s == "hidden") for s in VOCAB]  # "hidden": a word the mask bars
)
V = {s: i for i, s in enumerate(VOCAB)}
VALIDITY = [
    (["a", "large", "red"], 1.0),
    (["a", "large", "##ing", "[CLS]", "[unused3]", "42", "café", "red"], 3 / 8),
    (["##ing"], 0.0),
    (["[PAD]", "[CLS]"], 0.0),
    (["42", "."], 0.0),
    (["café"], 0.0),  # not ASCII
    (["hidden", "red"], 0.5),  # alphabetic but not allowed by the mask
    (["red", "red", "##ing"], 2 / 3),  # repeats count each time
]


@pytest.mark.parametrize(("tokens", "expected"), VALIDITY)
def test_token_validity_table(tokens: list[str], expected: float) -> None:
    ids = [V[t] for t in tokens]
    got = TokenValidity().score_item(
        token_ids=ids, token_strings=VOCAB, prompt_token_mask=VOCAB_MASK
    )
    assert got == {"token_validity": pytest.approx(expected, abs=1e-12)}
    as_tensor = TokenValidity().score_item(
        token_ids=torch.tensor(ids), token_strings=VOCAB, prompt_token_mask=VOCAB_MASK
    )
    assert as_tensor == got


def test_token_validity_on_the_real_vocabulary(minilm) -> None:
    _, mask, strings, tokenizer = minilm
    metric = TokenValidity()

    def score(ids: list[int]) -> float:
        got = metric.score_item(token_ids=ids, token_strings=strings, prompt_token_mask=mask)
        return got["token_validity"]

    words = tokenizer.encode("a large red circle above the blue square", add_special_tokens=False)
    assert score(words) == 1.0
    mixed = tokenizer.encode("a running42 cafe , 3 squares", add_special_tokens=False)
    # a, running, ##42, cafe, ",", 3, squares: four words of seven
    assert [strings[i] for i in mixed] == ["a", "running", "##42", "cafe", ",", "3", "squares"]
    assert score(mixed) == pytest.approx(4 / 7)
    specials = tokenizer.convert_tokens_to_ids(["[CLS]", "[SEP]", "[unused3]", "[MASK]"])
    assert score(specials) == 0.0
    accented = tokenizer.convert_tokens_to_ids(["wrocław", "red"])  # alphabetic, not ASCII
    assert strings[accented[0]] == "wrocław" and mask[accented[0]]
    assert score(accented) == 0.5


@pytest.mark.parametrize(
    ("ids", "strings", "mask", "message"),
    [
        ([], VOCAB, VOCAB_MASK, "^token_ids is empty"),
        ([3, -1], VOCAB, VOCAB_MASK, r"^token_ids holds id -1, outside \[0, 11\)"),
        ([11], VOCAB, VOCAB_MASK, r"^token_ids holds id 11, outside \[0, 11\)"),
        ([3.0], VOCAB, VOCAB_MASK, "^token_ids must hold ints, got float"),
        ([True], VOCAB, VOCAB_MASK, "^token_ids must hold ints, got bool"),
        ("red", VOCAB, VOCAB_MASK, "^token_ids must be a list of ints, got str"),
        (torch.tensor([[3]]), VOCAB, VOCAB_MASK, "^token_ids must be a 1-D integer tensor"),
        ([3], VOCAB[:-1], VOCAB_MASK, r"^prompt_token_mask is torch.bool of shape \(11,\)"),
        ([3], "abc", VOCAB_MASK, "^token_strings must be a list of str, got str"),
        ([3], [None] * 11, VOCAB_MASK, r"^token_strings\[3\] must be a str, got NoneType"),
    ],
)
def test_token_validity_input_errors(ids, strings, mask, message: str) -> None:
    with pytest.raises(MetricInputError, match=message):
        TokenValidity().score_item(token_ids=ids, token_strings=strings, prompt_token_mask=mask)
    results = TokenValidity().score(
        {
            "token_ids": [ids, [3]],
            "token_strings": [strings, VOCAB],
            "prompt_token_mask": [mask, VOCAB_MASK],
        }
    )
    assert results[0].error is not None and results[0].error.startswith("token_validity: ")
    assert results[1].values == {"token_validity": 1.0}


def test_token_validity_batch_invariance() -> None:
    rng = np.random.default_rng(0)
    ids = [rng.integers(0, len(VOCAB), size=int(rng.integers(1, 6))).tolist() for _ in range(8)]
    ids[4] = []
    n = len(ids)

    def by_hand(token_ids: list[int], **_: object) -> dict[str, float] | None:
        if not token_ids:
            return None
        words = sum(VOCAB_MASK[j] and VOCAB[j].isascii() and VOCAB[j].isalpha() for j in token_ids)
        return {"token_validity": float(words) / len(token_ids)}

    results = MetricTester(TokenValidity).run(
        {"token_ids": ids, "token_strings": [VOCAB] * n, "prompt_token_mask": [VOCAB_MASK] * n},
        by_hand,
        Tol(rel=1e-6, abs=1e-12),  # pytest.approx's defaults
    )
    assert "token_ids is empty" in results[4][1]
    assert all(results[i][1] is None for i in (0, 1, 2, 3, 5, 6, 7))


def test_signatures_and_declarations() -> None:
    assert NearestTokenCosine(seed=7).signature() == (
        "nearest_token_cosine|projection:nearest-allowed-token|similarity:cosine|seed:7"
        "|control:gaussian-fit-to-allowed-rows|version:1"
    )
    assert TokenValidity().signature() == (
        "token_validity|word:ascii-alpha|continuations:not-words|mask:prompt-tokens|version:1"
    )
    assert [o.name for o in NearestTokenCosine.outputs] == [
        "nearest_token_cosine",
        "random_token_cosine",
    ]
    assert all(
        o.higher_is_better and o.value_range == (-1.0, 1.0) for o in NearestTokenCosine.outputs
    )
    assert "control" in NearestTokenCosine.outputs[1].description
    (validity,) = TokenValidity.outputs
    assert validity.higher_is_better and validity.value_range == (0.0, 1.0)
    assert NearestTokenCosine.requires == (
        "soft_embeddings",
        "embedding_table",
        "prompt_token_mask",
    )
    assert TokenValidity.requires == ("token_ids", "token_strings", "prompt_token_mask")
