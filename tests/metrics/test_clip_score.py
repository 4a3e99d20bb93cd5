"""CLIPScore: the functional core against an independent computation, and the metric against
torchmetrics' ``clip_score`` given the same judge (``100 * max(cos, 0)`` = ours ``* 100 / 2.5``).

The judge here is :class:`RandomProjectionJudge` (seeded, no trained weights), so these tests do not
depend on the mini-CLIP weights.
"""

from __future__ import annotations

import math
import sys
import types

import numpy as np
import pytest
import torch
from metric_tester import MetricTester, Tol

from invbench.contracts.media import Image
from invbench.contracts.metric import MetricInputError
from invbench.metrics.clip_score import CLIPScore, RandomProjectionJudge, clip_score

CAPTIONS = [
    "a large red circle on a grey background",
    "a small blue square left of a green ring",
    "a yellow cross above a pink diamond on a white background",
    "a cat",
]


@pytest.fixture(scope="module")
def judge() -> RandomProjectionJudge:
    return RandomProjectionJudge(seed=0)


def _images(n: int, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(3, 64, 64, generator=g) ** (0.5 + i % 3) for i in range(n)]


# (image embedding, text embedding, expected CLIPScore), by hand
TABLE = [
    ([1.0, 0.0], [1.0, 0.0], 2.5),
    ([1.0, 0.0], [0.6, 0.8], 1.5),
    ([3.0, 4.0], [6.0, 8.0], 2.5),  # not unit norm: cosine still 1
    ([1.0, 0.0], [0.0, 1.0], 0.0),
    ([1.0, 0.0], [-0.6, 0.8], 0.0),  # negative cosine clipped at 0
    ([1.0, 1.0, 0.0], [1.0, 0.0, 1.0], 1.25),  # cos 1/2
]


@pytest.mark.parametrize(("image", "text", "expected"), TABLE)
def test_table(image, text, expected: float) -> None:
    assert clip_score([image], [text]).tolist() == [pytest.approx(expected, abs=1e-12)]


def test_core_matches_an_independent_computation() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((50, 384)), rng.standard_normal((50, 384))
    b[:25] += 3 * a[:25]  # half clearly aligned, half around cos 0 (both signs)
    expected = []
    for x, y in zip(a, b, strict=True):
        cos = math.fsum(x * y) / math.sqrt(math.fsum(x * x) * math.fsum(y * y))
        expected.append(2.5 * max(cos, 0.0))
    got = clip_score(a, b)
    assert got.shape == (50,)
    assert got.tolist() == pytest.approx(expected, abs=1e-12)
    assert (got[25:] == 0).any() and (got[:25] > 1.5).all()


def test_metric_is_the_core_on_the_judges_embeddings(judge) -> None:
    def reference(image: Image, target_text: str) -> dict[str, float]:
        image_embedding = judge.embed_images(image.pixels[None]).double().numpy()[0]
        text_embedding = judge.embed_texts([target_text]).double().numpy()[0]
        cos = float(image_embedding @ text_embedding)  # unit vectors
        return {"clip_score": 2.5 * max(cos, 0.0)}

    fields = {"image": [Image(x) for x in _images(4)], "target_text": CAPTIONS}
    MetricTester(lambda: CLIPScore(judge=judge)).run(fields, reference, Tol(abs=1e-6))


class _Processor:
    """A stand-in HF processor: images are stacked; texts become indices into what it saw."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, text=None, images=None, return_tensors="pt", padding=True):
        if images is not None:
            return {"pixel_values": torch.stack(images)}
        start = len(self.texts)
        self.texts += list(text)
        ids = torch.arange(start, len(self.texts)).unsqueeze(1)
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}


class _Model(torch.nn.Module):
    """A stand-in HF CLIPModel over an invbench judge (``get_image/text_features``)."""

    def __init__(self, judge, processor: _Processor) -> None:
        super().__init__()
        self.judge, self.processor = judge, processor
        self.config = types.SimpleNamespace()  # no text_config: no truncation check

    def get_image_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.judge.embed_images(pixel_values)

    def get_text_features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        return self.judge.embed_texts([self.processor.texts[i] for i in input_ids[:, 0].tolist()])


def test_matches_torchmetrics_clip_score_given_the_same_judge(judge) -> None:
    from torchmetrics.functional.multimodal import clip_score as tm_clip_score

    def model_and_processor():
        processor = _Processor()
        return _Model(judge, processor), processor

    def reference(image: Image, target_text: str) -> dict[str, float]:
        # one item per call: torchmetrics clamps the batch mean, not each item; its scale is
        # 100 * max(cos, 0), ours 2.5 * max(cos, 0)
        theirs = float(tm_clip_score(image.pixels, target_text, model_and_processor))
        return {"clip_score": theirs * 2.5 / 100}

    fields = {"image": [Image(x) for x in _images(12, seed=1)], "target_text": CAPTIONS * 3}
    # ours * 100 / 2.5 within 1e-4 of theirs, i.e. ours within 2.5e-6 of theirs * 2.5 / 100
    results = MetricTester(lambda: CLIPScore(judge=judge)).run(fields, reference, Tol(abs=2.5e-6))
    clipped = sum(values["clip_score"] == 0.0 for values, _ in results)
    assert 0 < clipped < 12  # both branches of the clip at 0 were compared


def test_batch_size_never_changes_a_score(judge) -> None:
    images = [Image(x) for x in _images(8, seed=2)]
    texts = (CAPTIONS * 2)[:8]
    images[3] = Image(torch.rand(3, 32, 32))  # wrong size for the judge: an input error
    texts[5] = " "
    results = MetricTester(lambda: CLIPScore(judge=judge)).run(
        {"image": images, "target_text": texts}
    )
    assert "expected (3, 64, 64)" in results[3][1]
    assert "target_text ' ' is empty" in results[5][1]
    assert all(results[i][0] for i in (0, 1, 2, 4, 6, 7))
    assert all(0.0 <= r[0]["clip_score"] <= 2.5 for r in results if r[0])  # and by the tester


@pytest.mark.parametrize(
    ("image", "text", "message"),
    [
        ("small", "a red circle", r"image has shape \(3, 32, 32\), expected \(3, 64, 64\)"),
        ("nan", "a red circle", "image contains NaN"),
        ("bright", "a red circle", r"expected within \[0.0, 1.0\]"),
        ("tensor", "a red circle", "image must be an Image, got Tensor"),
        ("ok", "", "target_text '' is empty; CLIPScore is undefined"),
        ("ok", None, "target_text must be a str, got NoneType"),
    ],
)
def test_input_errors(judge, image: str, text, message: str) -> None:
    x = _images(1)[0]
    kinds = {
        "ok": lambda: Image(x),
        "small": lambda: Image(x[:, :32, :32]),
        "nan": lambda: Image(torch.where(torch.arange(64) == 7, torch.nan, x)),
        "bright": lambda: Image(x + 1),
        "tensor": lambda: x,
    }
    with pytest.raises(MetricInputError, match=message):
        CLIPScore(judge=judge).score_item(image=kinds[image](), target_text=text)


def test_random_projection_judge_is_deterministic_and_unit_norm() -> None:
    a, b = RandomProjectionJudge(seed=3, dim=16), RandomProjectionJudge(seed=3, dim=16)
    x = torch.stack(_images(2))
    assert torch.equal(a.embed_images(x), b.embed_images(x))
    assert torch.equal(a.embed_texts(CAPTIONS), b.embed_texts(CAPTIONS))
    assert torch.allclose(a.embed_texts(CAPTIONS).norm(dim=-1), torch.ones(4))
    assert a.weights_sha256 != RandomProjectionJudge(seed=4, dim=16).weights_sha256


def test_signature_records_the_judge(judge) -> None:
    expected = (
        f"clip_score|model:random-projection|sha256:{judge.weights_sha256[:12]}"
        f"|text_sha256:{judge.text_weights_sha256[:12]}|w:2.5|cos:clipped-at-0|version:1"
    )
    tester = MetricTester(lambda: CLIPScore(judge=judge), signature=expected)
    assert tester.check_signature(CLIPScore(judge=judge)) == expected
    (output,) = CLIPScore.outputs
    assert output.higher_is_better and output.value_range == (0.0, 2.5)
    assert CLIPScore.requires == ("image", "target_text")


def test_default_judge_is_mini_clip_loaded_lazily(monkeypatch, judge) -> None:
    calls = []
    fake = types.ModuleType("invbench.models.zoo.mini_clip")

    def load_mini_clip(name: str = "mini-clip", device: str = "cpu"):
        calls.append((name, device))
        return types.SimpleNamespace(
            embed_images=judge.embed_images,
            embed_texts=judge.embed_texts,
            weights_sha256="ab" * 32,
            text_weights_sha256="cd" * 32,
        )

    fake.load_mini_clip = load_mini_clip
    monkeypatch.setitem(sys.modules, "invbench.models.zoo.mini_clip", fake)
    metric = CLIPScore()
    assert calls == []  # constructing (and registering) a metric loads no weights
    assert metric.signature().startswith("clip_score|model:mini-clip|sha256:abababababab|")
    assert calls == [("mini-clip", "cpu")]
    assert metric.score_item(image=Image(_images(1)[0]), target_text="a red circle")
    assert len(calls) == 1
