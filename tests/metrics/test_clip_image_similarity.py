"""CLIP image-image similarity and the projection gap against torchmetrics'
``pairwise_cosine_similarity`` and torch's ``cosine_similarity`` on the same judge embeddings:
a seeded :class:`RandomProjectionJudge` everywhere, and the shipped mini-CLIP in one test."""

from __future__ import annotations

import sys
import types

import pytest
import torch
import torch.nn.functional as F
from metric_tester import MetricTester, Tol
from torchmetrics.functional import pairwise_cosine_similarity

from invbench.contracts.media import Image
from invbench.contracts.metric import MetricInputError
from invbench.metrics.clip_image_similarity import (
    CLIPImageSimilarity,
    ProjectionGap,
    reference_cosines,
)
from invbench.metrics.clip_score import RandomProjectionJudge, load_judge


@pytest.fixture(scope="module")
def judge() -> RandomProjectionJudge:
    return RandomProjectionJudge(seed=0)


def _references(n: int, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(3, 64, 64, generator=g) ** (0.5 + i % 3) for i in range(n)]


def _near(y: torch.Tensor, noise: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(1000 + seed)
    return (y + noise * torch.randn(y.shape, generator=g)).clamp(0, 1)


def _embed(judge, pixels: list[torch.Tensor]) -> torch.Tensor:
    """Each image alone through the judge, in float64: the reference libraries' input."""
    return torch.cat([judge.embed_images(x[None]) for x in pixels]).double()


def _check_against_references(judge, n: int = 8, seed: int = 0) -> list[float]:
    references = _references(n, seed)
    images = [_near(y, 0.1 + 0.15 * i, seed=i) for i, y in enumerate(references)]
    a, b = _embed(judge, images), _embed(judge, references)
    torchmetrics = pairwise_cosine_similarity(a, b).diagonal().tolist()
    torch_cosine = F.cosine_similarity(a, b, dim=-1).tolist()
    tester = MetricTester(lambda: CLIPImageSimilarity(judge=judge))
    fields = {"image": [Image(x) for x in images], "reference_image": list(map(Image, references))}
    name = "clip_image_similarity"
    results = tester.run(fields, _named(name, torchmetrics), Tol(abs=1e-6))
    tester.assert_matches(results, fields, _named(name, torch_cosine), Tol(abs=1e-6))
    return [values["clip_image_similarity"] for values, _ in results]


def _named(name: str, values: list[float]) -> list[dict[str, float]]:
    return [{name: v} for v in values]


def test_matches_torchmetrics_with_a_random_projection_judge(judge) -> None:
    ours = _check_against_references(judge)
    assert all(-1.0 <= v <= 1.0 for v in ours)
    assert max(ours) - min(ours) > 0.1  # a spread of values was compared, not one constant
    assert ours[0] > ours[-1]  # more noise, less similar


def test_matches_torchmetrics_with_the_shipped_mini_clip() -> None:
    mini_clip = load_judge("mini-clip")
    ours = _check_against_references(mini_clip, n=4, seed=5)
    assert all(-1.0 <= v <= 1.0 for v in ours)
    metric = CLIPImageSimilarity(judge=mini_clip)
    y = Image(_references(1, seed=5)[0])
    assert metric.score_item(image=y, reference_image=y)["clip_image_similarity"] == (
        pytest.approx(1.0, abs=1e-9)
    )
    assert metric.signature().startswith(
        f"clip_image_similarity|model:mini-clip|sha256:{mini_clip.weights_sha256[:12]}|"
    )


def test_projection_gap_is_the_difference_of_reference_cosines(judge) -> None:
    references = _references(6, seed=3)
    hard = [_near(y, 0.6, seed=i) for i, y in enumerate(references)]
    soft = [_near(y, 0.05 + 0.2 * (i % 3), seed=50 + i) for i, y in enumerate(references)]
    similarity = CLIPImageSimilarity(judge=judge)
    e_ref, e_hard, e_soft = (_embed(judge, p) for p in (references, hard, soft))
    expected = F.cosine_similarity(e_soft, e_ref, dim=-1) - F.cosine_similarity(e_hard, e_ref)
    fields = {
        "soft_image": [Image(x) for x in soft],
        "image": [Image(x) for x in hard],
        "reference_image": [Image(y) for y in references],
    }
    results = MetricTester(lambda: ProjectionGap(judge=judge)).run(
        fields, _named("projection_gap", expected.tolist()), Tol(abs=1e-6)
    )
    signs = set()
    for (got, _), y, x, s in zip(results, references, hard, soft, strict=True):
        # its hard term is exactly the item's clip_image_similarity (the same helper)
        hard_term = similarity.score_item(image=Image(x), reference_image=Image(y))
        soft_term = similarity.score_item(image=Image(s), reference_image=Image(y))
        assert got["projection_gap"] == (
            soft_term["clip_image_similarity"] - hard_term["clip_image_similarity"]
        )
        signs.add(got["projection_gap"] > 0)
    assert signs == {True}  # soft images are closer to the reference than the noisy hard ones


def test_projection_gap_sign_on_a_constructed_case(judge) -> None:
    y = _references(1, seed=7)[0]
    far = _near(y, 0.8, seed=7)
    gap = ProjectionGap(judge=judge)
    soft_better = gap.score_item(soft_image=Image(y), image=Image(far), reference_image=Image(y))
    hard_better = gap.score_item(soft_image=Image(far), image=Image(y), reference_image=Image(y))
    similarity = CLIPImageSimilarity(judge=judge).score_item(
        image=Image(far), reference_image=Image(y)
    )["clip_image_similarity"]
    assert similarity < 0.9
    # the soft image is the reference itself: the gap is 1 - cos(far, y) > 0; swapped, negative
    assert soft_better["projection_gap"] == pytest.approx(1.0 - similarity, abs=1e-9)
    assert hard_better["projection_gap"] == pytest.approx(similarity - 1.0, abs=1e-9)
    assert soft_better["projection_gap"] > 0.1 > -0.1 > hard_better["projection_gap"]


def test_equal_soft_and_hard_images_give_exactly_zero(judge) -> None:
    y, x = _references(2, seed=8)
    gap = ProjectionGap(judge=judge)
    same = gap.score_item(soft_image=Image(x), image=Image(x), reference_image=Image(y))
    copy = gap.score_item(soft_image=Image(x.clone()), image=Image(x), reference_image=Image(y))
    assert same == copy == {"projection_gap": 0.0}


def test_missing_soft_image_or_reference_is_not_scored(judge) -> None:
    y, x = (Image(p) for p in _references(2, seed=9))
    gap, similarity = ProjectionGap(judge=judge), CLIPImageSimilarity(judge=judge)
    assert gap.score_item(soft_image=None, image=x, reference_image=y) == {}
    assert gap.score_item(soft_image=x, image=x, reference_image=None) == {}
    assert similarity.score_item(image=x, reference_image=None) == {}
    assert similarity.score_item(image=None, reference_image=y) == {}  # no soft regeneration
    results = gap.score({"soft_image": [None, x], "image": [x, x], "reference_image": [y, y]})
    assert results[0].values == {} and results[0].error is None
    assert results[1].values == {"projection_gap": 0.0}


def test_batch_size_never_changes_a_score(judge) -> None:
    references = _references(8, seed=10)
    images = [Image(_near(y, 0.3, seed=i)) for i, y in enumerate(references)]
    softs: list[Image | None] = [
        Image(_near(y, 0.1, seed=20 + i)) for i, y in enumerate(references)
    ]
    refs: list[Image | None] = [Image(y) for y in references]
    refs[2] = None
    softs[5] = None
    images[6] = Image(torch.rand(3, 32, 32))  # wrong size for the judge: an input error
    similarity = MetricTester(lambda: CLIPImageSimilarity(judge=judge)).run(
        {"image": images, "reference_image": refs}
    )
    assert similarity[2] == ({}, None)
    assert "image has shape (3, 32, 32), expected (3, 64, 64)" in similarity[6][1]
    assert all(similarity[i][0] for i in (0, 1, 3, 4, 5, 7))
    gaps = MetricTester(lambda: ProjectionGap(judge=judge)).run(
        {"soft_image": softs, "image": images, "reference_image": refs}
    )
    assert gaps[2] == gaps[5] == ({}, None)
    assert "image has shape (3, 32, 32)" in gaps[6][1]
    assert all(gaps[i][0]["projection_gap"] > 0 for i in (0, 1, 3, 4, 7))


KINDS = {
    "ok": lambda x: Image(x),
    "small": lambda x: Image(x[:, :32, :32]),
    "nan": lambda x: Image(torch.where(torch.arange(64) == 7, torch.nan, x)),
    "bright": lambda x: Image(x + 1),
    "tensor": lambda x: x,
}


@pytest.mark.parametrize(
    ("field", "kind", "message"),
    [
        ("image", "small", r"^image has shape \(3, 32, 32\), expected \(3, 64, 64\)"),
        ("image", "tensor", "^image must be an Image, got Tensor"),
        ("reference_image", "nan", "^reference_image contains NaN"),
        ("reference_image", "tensor", "^reference_image must be an Image, got Tensor"),
        ("reference_image", "small", r"^reference_image has shape \(3, 32, 32\)"),
        ("soft_image", "bright", r"^soft_image values span .* expected within \[0.0, 1.0\]"),
        ("soft_image", "tensor", "^soft_image must be an Image, got Tensor"),
    ],
)
def test_input_errors_name_the_field(judge, field: str, kind: str, message: str) -> None:
    x = _references(1, seed=11)[0]
    item = {"soft_image": Image(x), "image": Image(x), "reference_image": Image(x)}
    item[field] = KINDS[kind](x)
    with pytest.raises(MetricInputError, match=message):
        ProjectionGap(judge=judge).score_item(**item)
    # through score(): a per-item error string, the other items still scored
    batch = {k: [v, Image(x)] for k, v in item.items()}
    results = ProjectionGap(judge=judge).score(batch)
    assert results[0].error is not None and results[0].error.startswith("projection_gap: ")
    assert field in results[0].error
    assert results[1].values == {"projection_gap": 0.0}
    if field != "soft_image":
        with pytest.raises(MetricInputError, match=message):
            CLIPImageSimilarity(judge=judge).score_item(
                image=item["image"], reference_image=item["reference_image"]
            )


def test_zero_embedding_is_an_input_error() -> None:
    class Zero(RandomProjectionJudge):
        def embed_images(self, pixels: torch.Tensor) -> torch.Tensor:
            return torch.zeros(pixels.shape[0], self.dim)

    x = Image(_references(1)[0])
    with pytest.raises(MetricInputError, match="judge embeds reference_image as a zero"):
        reference_cosines(Zero(dim=8), x, image=x)


def test_signatures_and_declarations(judge) -> None:
    sha = judge.weights_sha256[:12]
    assert CLIPImageSimilarity(judge=judge).signature() == (
        f"clip_image_similarity|model:random-projection|sha256:{sha}|dtype:float64|version:1"
    )
    assert ProjectionGap(judge=judge).signature() == (
        f"projection_gap|model:random-projection|sha256:{sha}|dtype:float64"
        "|gap:soft-minus-hard|version:1"
    )
    (similarity,) = CLIPImageSimilarity.outputs
    (gap,) = ProjectionGap.outputs
    assert similarity.name == "clip_image_similarity" and similarity.higher_is_better
    assert similarity.value_range == (-1.0, 1.0)
    assert gap.name == "projection_gap" and not gap.higher_is_better
    assert gap.value_range == (-2.0, 2.0)
    assert CLIPImageSimilarity.requires == ("image", "reference_image")
    assert ProjectionGap.requires == ("soft_image", "image", "reference_image")


@pytest.mark.parametrize("factory", [CLIPImageSimilarity, ProjectionGap])
def test_default_judge_is_mini_clip_loaded_lazily(monkeypatch, judge, factory) -> None:
    calls = []
    fake = types.ModuleType("invbench.models.zoo.mini_clip")

    def load_mini_clip(name: str = "mini-clip", device: str = "cpu"):
        calls.append((name, device))
        return types.SimpleNamespace(
            embed_images=judge.embed_images, weights_sha256="ab" * 32, text_weights_sha256="cd"
        )

    fake.load_mini_clip = load_mini_clip
    monkeypatch.setitem(sys.modules, "invbench.models.zoo.mini_clip", fake)
    metric = factory()
    assert calls == []  # constructing (and registering) a metric loads no weights
    assert metric.signature().startswith(f"{factory.name}|model:mini-clip|sha256:abababababab|")
    assert calls == [("mini-clip", "cpu")]
    x = Image(_references(1)[0])
    item = {"soft_image": x, "image": x, "reference_image": x}
    assert metric.score_item(**{k: item[k] for k in factory.requires})
    assert len(calls) == 1
