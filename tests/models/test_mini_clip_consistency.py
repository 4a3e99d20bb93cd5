"""mini-CLIP as a ConsistencyModel (invbench.contracts.consistency). It has a differentiable
image tower, and a text tower that reads MiniLM token rows as well as strings: the rows of a
text's tokens give that text's embedding, gradients reach pixels and soft rows, and a
row's score does not depend on its batch."""

from __future__ import annotations

import pytest
import torch

from invbench.contracts import ConsistencyModel, consistency, consistency_loss
from invbench.models.minilm import load_minilm
from invbench.models.zoo.mini_clip import MiniCLIP, load_mini_clip
from invbench.worlds.shapes import caption, render_tensor, take_scenes

TEXTS = ["a red circle above a blue square", "two green triangles", "a small yellow star"]
# float32 BERT: the same input rows through the same layers; only padding to another width in
# the batch changes the summation order
ROW_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def judge() -> MiniCLIP:
    return load_mini_clip()


def content_rows(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Each text's content-token rows of MiniLM's table, zero-padded, with their mask."""
    minilm = load_minilm()
    ids = minilm.tokenizer(texts, add_special_tokens=False)["input_ids"]
    width = max(len(i) for i in ids) + 2  # two padding rows the mask must hide
    table = minilm.token_embeddings
    soft = torch.stack([torch.cat([table[i], table.new_zeros(width - len(i), 384)])
                        for i in ids])
    mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i in ids])
    return soft, mask


def test_mini_clip_satisfies_the_consistency_contract(judge):
    assert isinstance(judge, ConsistencyModel)
    assert judge.media_kind == "image" and judge.embedding_dim == 384
    info = judge.describe()
    assert info["weights_sha256"] == judge.weights_sha256 and info["text_weights_sha256"]


def test_minilm_reads_token_rows_as_it_reads_the_text():
    soft, mask = content_rows(TEXTS)
    from_rows = load_minilm().encode_embeddings(soft, mask)
    torch.testing.assert_close(from_rows, load_minilm().encode(TEXTS), atol=ROW_TOLERANCE,
                               rtol=0)


def test_the_text_tower_gives_a_texts_embedding_from_its_rows(judge):
    soft, mask = content_rows(TEXTS)
    torch.testing.assert_close(judge.embed_text_embeddings(soft, mask),
                               judge.embed_text(TEXTS), atol=ROW_TOLERANCE, rtol=0)


def test_gradients_reach_pixels_and_soft_rows(judge):
    scenes = take_scenes("test", 3, seed=7, unique=True)
    pixels = torch.stack([render_tensor(s) for s in scenes]).requires_grad_(True)
    soft, mask = content_rows([caption(s) for s in scenes])
    soft.requires_grad_(True)
    for kind in ("cosine", "infonce"):
        pixels.grad = soft.grad = None
        loss = consistency_loss(judge.embed_media(pixels),
                                judge.embed_text_embeddings(soft, mask), kind=kind)
        loss.sum().backward()
        for grad in (pixels.grad, soft.grad):
            assert torch.isfinite(grad).all() and grad.abs().sum() > 0
        assert soft.grad[~mask.bool()].abs().sum() == 0  # padding rows get nothing
    assert all(p.grad is None for p in judge.net.parameters())


def test_matched_captions_score_higher_and_batches_change_nothing(judge):
    scenes = take_scenes("test", 6, seed=11, unique=True)
    pixels = torch.stack([render_tensor(s) for s in scenes])
    texts = [caption(s) for s in scenes]
    with torch.no_grad():
        media, text = judge.embed_media(pixels), judge.embed_text(texts)
        matched = consistency(media, text)
        shifted = consistency(media, text.roll(1, 0))
        alone = torch.cat([judge.embed_media(pixels[i:i + 1]) for i in range(6)])
    assert (matched > shifted).all(), (matched, shifted)
    torch.testing.assert_close(alone, media, atol=ROW_TOLERANCE, rtol=0)
    with pytest.raises(ValueError, match="lengths are for waveforms"):
        judge.embed_media(pixels, lengths=torch.ones(6))


def test_the_independent_judge_is_registered_and_is_another_model(judge):
    from invbench.metrics.clip_score import load_judge

    independent = load_judge("mini-clip-judge")
    assert isinstance(independent, ConsistencyModel) and independent.name == "mini-clip-judge"
    assert independent.weights_sha256 != judge.weights_sha256
    # the same frozen MiniLM under both text towers, each with its own learned map
    assert independent.text_weights_sha256 == judge.text_weights_sha256
    assert not torch.equal(independent.net.text_map.weight, judge.net.text_map.weight)
