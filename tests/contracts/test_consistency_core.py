"""The consistency core (invbench.contracts.consistency): one definition of the score and the
loss, checked on a tiny two-tower model in float64. ``gradcheck`` compares the analytic gradient
with finite differences for pixels and for soft token embeddings. The InfoNCE values are
checked against a formula written out separately in NumPy, and the CLIPScore form against the
``clip_score`` metric's own NumPy function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from invbench.contracts import (
    ConsistencyModel,
    clip_score_form,
    consistency,
    consistency_loss,
)
from invbench.metrics.clip_score import clip_score

EMB, TOKEN_DIM, SIDE = 6, 5, 4


class TinyTwoTower(torch.nn.Module):
    """Linear image tower over ``(B, 3, 4, 4)`` pixels; the text tower is a masked mean of
    token rows followed by a linear map. Strings go through a fixed 4-word table."""

    name = "tiny-two-tower"
    media_kind = "image"
    embedding_dim = EMB
    words = ("red", "blue", "circle", "square")

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.image = torch.nn.Linear(3 * SIDE * SIDE, EMB).double()
        self.text = torch.nn.Linear(TOKEN_DIM, EMB).double()
        for p in self.parameters():
            p.data = torch.randn(p.shape, generator=generator, dtype=torch.float64)
        self.table = torch.randn(len(self.words), TOKEN_DIM, generator=generator,
                                 dtype=torch.float64)

    def embed_media(self, media: torch.Tensor, lengths: torch.Tensor | None = None):
        return self.image(media.flatten(1))

    def embed_text_embeddings(self, soft: torch.Tensor, mask: torch.Tensor):
        weights = mask.to(soft.dtype).unsqueeze(-1)
        return self.text((soft * weights).sum(1) / weights.sum(1))

    def embed_text(self, texts: Sequence[str]):
        rows = [self.table[[self.words.index(w) for w in t.split()]] for t in texts]
        width = max(len(r) for r in rows)
        soft = torch.stack([torch.cat([r, r.new_zeros(width - len(r), TOKEN_DIM)]) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        return self.embed_text_embeddings(soft, mask)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "weights_sha256": "none", "text_weights_sha256": "none"}


@pytest.fixture
def model() -> TinyTwoTower:
    return TinyTwoTower()


def batch(n: int = 3, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.rand(n, 3, SIDE, SIDE, generator=generator, dtype=torch.float64)
    soft = torch.randn(n, 4, TOKEN_DIM, generator=generator, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]][:n])
    return pixels, soft, mask


def test_a_model_with_the_five_members_satisfies_the_protocol(model):
    assert isinstance(model, ConsistencyModel)
    assert not isinstance(object(), ConsistencyModel)


@pytest.mark.parametrize("kind", ["cosine", "infonce"])
def test_the_loss_gradient_matches_finite_differences(model, kind):
    pixels, soft, mask = batch()

    def loss(p: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return consistency_loss(model.embed_media(p), model.embed_text_embeddings(s, mask),
                                kind=kind, temperature=0.5)

    assert torch.autograd.gradcheck(loss, (pixels.requires_grad_(True),
                                           soft.requires_grad_(True)), eps=1e-6, atol=1e-7)
    pixels.grad = soft.grad = None
    loss(pixels, soft).sum().backward()
    assert torch.isfinite(pixels.grad).all() and torch.isfinite(soft.grad).all()
    assert soft.grad[0, 3].abs().sum() == 0  # a masked row gets no gradient


def test_the_metric_and_the_cosine_loss_are_one_function(model):
    pixels, soft, mask = batch()
    media, text = model.embed_media(pixels), model.embed_text_embeddings(soft, mask)
    assert torch.equal(consistency_loss(media, text), 1.0 - consistency(media, text))
    expected = (media * text).sum(-1) / (media.norm(dim=-1) * text.norm(dim=-1))
    torch.testing.assert_close(consistency(media, text), expected, atol=1e-12, rtol=0)


def infonce_reference(media: np.ndarray, text: np.ndarray, temperature: float) -> np.ndarray:
    """The symmetric InfoNCE per row, written out: -log softmax at the matched column/row."""
    m = media / np.linalg.norm(media, axis=1, keepdims=True)
    t = text / np.linalg.norm(text, axis=1, keepdims=True)
    logits = m @ t.T / temperature
    rows = np.diag(logits) - logsumexp(logits, axis=1)
    cols = np.diag(logits) - logsumexp(logits, axis=0)
    return -0.5 * (rows + cols)


@pytest.mark.parametrize("temperature", [0.07, 1.0])
def test_infonce_equals_the_written_out_formula(temperature):
    generator = torch.Generator().manual_seed(2)
    media, text = (torch.randn(5, EMB, generator=generator, dtype=torch.float64)
                   for _ in range(2))
    ours = consistency_loss(media, text, kind="infonce", temperature=temperature).numpy()
    np.testing.assert_allclose(ours, infonce_reference(media.numpy(), text.numpy(),
                                                       temperature), rtol=1e-12, atol=1e-12)


def test_infonce_is_lower_for_matched_pairs_than_for_shuffled_ones():
    generator = torch.Generator().manual_seed(3)
    media = torch.randn(8, EMB, generator=generator, dtype=torch.float64)
    text = media + 0.1 * torch.randn(8, EMB, generator=generator, dtype=torch.float64)
    matched = consistency_loss(media, text, kind="infonce").mean()
    shuffled = consistency_loss(media, text.roll(1, 0), kind="infonce").mean()
    assert matched < 0.1 < 3.0 < shuffled


def test_the_clipscore_form_is_the_clip_score_metrics_formula():
    generator = torch.Generator().manual_seed(4)
    media, text = (torch.randn(16, EMB, generator=generator, dtype=torch.float64)
                   for _ in range(2))
    ours = clip_score_form(consistency(media, text), w=2.5).numpy()
    np.testing.assert_allclose(ours, clip_score(media.numpy(), text.numpy()), rtol=0,
                               atol=1e-12)
    assert (ours >= 0).all() and (ours == 0).any()  # negative cosines are clipped


@pytest.mark.parametrize("splits", [(1, 1, 1, 1, 1, 1), (2, 4), (3, 3), (6,)])
def test_batch_splits_change_no_score(model, splits):
    generator = torch.Generator().manual_seed(5)
    pixels = torch.rand(6, 3, SIDE, SIDE, generator=generator, dtype=torch.float64)
    texts = ["red circle", "blue square", "red", "square circle red", "blue", "circle"]
    whole = consistency(model.embed_media(pixels), model.embed_text(texts))
    parts, start = [], 0
    for size in splits:
        chunk = slice(start, start + size)
        parts.append(consistency(model.embed_media(pixels[chunk]),
                                 model.embed_text(texts[chunk])))
        start += size
    torch.testing.assert_close(torch.cat(parts), whole, atol=1e-12, rtol=0)


def test_bad_input_is_one_line():
    a = torch.zeros(2, 3)
    for call, match in ((lambda: consistency(a, torch.zeros(3, 3)), "one shape"),
                        (lambda: consistency(a[0], a[0]), "one shape"),
                        (lambda: consistency_loss(a, a, kind="l2"), "cosine' or 'infonce"),
                        (lambda: consistency_loss(a, a, kind="infonce", temperature=0.0),
                         "temperature")):
        with pytest.raises(ValueError, match=match) as err:
            call()
        assert "\n" not in str(err.value)
