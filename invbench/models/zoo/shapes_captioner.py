"""The Shapes-world captioner: a small CNN encoder and a tiny transformer decoder (image→text).

The encoder turns a ``(B, 3, 64, 64)`` image in [0, 1] into an 8×8 grid of features with learned
position embeddings; the decoder emits the world's word tokens (``<pad>``=0, ``<bos>``=1,
``<eos>``=2, then the vocabulary) with causal self-attention and cross-attention to the grid.
Everything is differentiable with respect to the pixels, so inverters can optimise images
against :meth:`ShapesCaptioner.objective`. Weights come from the mini zoo (``data/models/<name>``,
trained by ``invbench zoo train captioner``), loaded with safetensors after a sha256 check.

Example (needs the shipped weights)::

    from invbench.worlds.shapes import caption, render_tensor, take_scenes
    model = ShapesCaptioner("captioner")
    scene = take_scenes("test", 1)[0]
    model.caption_images(render_tensor(scene)[None]) == [caption(scene)]  # True (≥95% of scenes)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.forward_model import ForwardModel, ObjectiveResult
from invbench.contracts.media import Image, ImageSpec
from invbench.models.target_payload import caption_text
from invbench.models.zoo.weights import ZooNetwork
from invbench.worlds.shapes import (
    BOS,
    EOS,
    IMAGE_SIZE,
    MAX_CAPTION_WORDS,
    TOKEN_ID,
    TOKENS,
    decode_caption,
    encode_caption,
)

ARCHITECTURE = "shapes-captioner-v1"
MAX_TOKENS = MAX_CAPTION_WORDS + 1  # every word and <eos>


@dataclass(frozen=True)
class CaptionerConfig:
    """Architecture hyperparameters (stored in the zoo manifest's ``config``)."""

    channels: tuple[int, int, int] = (32, 64, 128)  # at 32×32, 16×16 and 8×8
    d_model: int = 128
    heads: int = 4
    layers: int = 2
    ff: int = 512
    vocab: int = len(TOKENS)
    max_tokens: int = MAX_TOKENS

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaptionerConfig:
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)


class Attention(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.kv, self.out = nn.Linear(d, d), nn.Linear(d, 2 * d), nn.Linear(d, d)

    def forward(self, x: Tensor, memory: Tensor, causal: bool) -> Tensor:
        b, t, d = x.shape
        q = self.q(x).view(b, t, self.heads, -1).transpose(1, 2)
        k, v = self.kv(memory).view(b, memory.shape[1], 2, self.heads, -1).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class DecoderBlock(nn.Module):
    def __init__(self, d: int, heads: int, ff: int) -> None:
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn, self.cross_attn = Attention(d, heads), Attention(d, heads)
        self.mlp = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))

    def forward(self, x: Tensor, memory: Tensor) -> Tensor:
        h = self.norm1(x)
        x = x + self.self_attn(h, h, causal=True)
        x = x + self.cross_attn(self.norm2(x), memory, causal=False)
        return x + self.mlp(self.norm3(x))


def _conv(cin: int, cout: int, stride: int) -> list[nn.Module]:
    """3×3 convolution, batch norm (a fixed affine map in eval mode: items never mix), GELU."""
    return [
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.GELU(),
    ]


class CaptionerNet(nn.Module):
    """CNN encoder to an 8×8 feature grid plus a pre-norm transformer decoder over word tokens."""

    def __init__(self, config: CaptionerConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or CaptionerConfig()
        c1, c2, c3 = c.channels
        self.encoder = nn.Sequential(
            *_conv(3, c1, 2),  # 32×32
            *_conv(c1, c2, 2),  # 16×16
            *_conv(c2, c2, 1),
            *_conv(c2, c3, 2),  # 8×8
            *_conv(c3, c3, 1),
            nn.Conv2d(c3, c.d_model, 1),
        )
        grid = (IMAGE_SIZE // 8) ** 2
        self.grid_pos = nn.Parameter(torch.randn(grid, c.d_model) * 0.02)
        self.grid_norm = nn.LayerNorm(c.d_model)
        self.embed = nn.Embedding(c.vocab, c.d_model)
        self.token_pos = nn.Parameter(torch.randn(c.max_tokens, c.d_model) * 0.02)
        self.blocks = nn.ModuleList(DecoderBlock(c.d_model, c.heads, c.ff) for _ in range(c.layers))
        self.norm = nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.vocab)

    def encode(self, pixels: Tensor) -> Tensor:
        """``(B, 3, 64, 64)`` in [0, 1] -> ``(B, 64, d_model)`` grid features."""
        h = self.encoder(pixels * 2.0 - 1.0)
        return self.grid_norm(h.flatten(2).transpose(1, 2) + self.grid_pos)

    def decode(self, tokens: Tensor, memory: Tensor) -> Tensor:
        """Next-token logits ``(B, T, vocab)`` for input tokens ``(B, T)`` (starting with BOS)."""
        x = self.embed(tokens) * math.sqrt(self.config.d_model) + self.token_pos[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x, memory)
        return self.head(self.norm(x))

    def forward(self, pixels: Tensor, tokens: Tensor) -> Tensor:
        return self.decode(tokens, self.encode(pixels))

    @torch.no_grad()
    def greedy(self, pixels: Tensor) -> list[str]:
        """Greedy captions (argmax each step until ``<eos>`` or ``max_tokens`` tokens)."""
        memory = self.encode(pixels)
        tokens = torch.full((pixels.shape[0], 1), TOKEN_ID[BOS], dtype=torch.long)
        tokens = tokens.to(pixels.device)
        done = torch.zeros(pixels.shape[0], dtype=torch.bool, device=pixels.device)
        for _ in range(self.config.max_tokens):
            step = self.decode(tokens, memory)[:, -1].argmax(-1)
            tokens = torch.cat([tokens, step[:, None]], dim=1)
            done |= step == TOKEN_ID[EOS]
            if bool(done.all()):
                break
        return [decode_caption(row[1:].tolist()) for row in tokens.cpu()]


def teacher_forcing(captions: Sequence[str]) -> tuple[Tensor, Tensor]:
    """Decoder inputs (``<bos>`` + words, right-padded with ``<pad>``) and labels (words +
    ``<eos>``, padded with -100) for a batch; an unknown word raises ``ValueError`` naming it."""
    encoded = [encode_caption(text) for text in captions]
    width = max(len(ids) for ids in encoded)
    if width > MAX_TOKENS:
        raise ValueError(f"caption of {width - 1} words is longer than {MAX_CAPTION_WORDS}")
    inputs = torch.zeros((len(encoded), width), dtype=torch.long)  # <pad> = 0
    labels = torch.full((len(encoded), width), -100, dtype=torch.long)
    for i, ids in enumerate(encoded):
        inputs[i, : len(ids)] = torch.tensor([TOKEN_ID[BOS], *ids[:-1]])
        labels[i, : len(ids)] = torch.tensor(ids)
    return inputs, labels


def caption_loss(logits: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """Per-item summed cross-entropy over labelled tokens and per-item argmax exactness."""
    ce = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="none")
    scored = labels != -100
    exact = ((logits.detach().argmax(-1) == labels) | ~scored).all(dim=1)
    return (ce * scored).sum(dim=1), exact


class ShapesCaptioner(ZooNetwork, ForwardModel):
    """A mini-zoo Shapes captioner wrapped for inversion (``name``: zoo name or folder)."""

    input_modality = "image"
    output_modality = "text"
    input_spec = ImageSpec(IMAGE_SIZE, IMAGE_SIZE, 3, (0.0, 1.0))

    def __init__(self, name: str = "captioner", device: str = "cpu") -> None:
        super().__init__()
        self._load_network(
            name, ARCHITECTURE, lambda c: CaptionerNet(CaptionerConfig.from_dict(c)), device,
            "shapes-captioner",
        )

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info.update(
            **self.zoo_facts(),
            decoding="greedy argmax, batched, at most MAX_CAPTION_WORDS words + <eos>",
            objective={
                "loss": "teacher-forced cross-entropy summed over the caption's words and <eos>",
                "success": "teacher-forced argmax equals every target token incl. <eos>",
            },
        )
        return info

    def caption_images(self, pixels: Tensor) -> list[str]:
        """Greedy captions for ``(B, 3, 64, 64)`` pixels in [0, 1]."""
        if pixels.ndim != 4 or tuple(pixels.shape[1:]) != (3, IMAGE_SIZE, IMAGE_SIZE):
            raise InvbenchError(f"expected (B, 3, 64, 64) pixels, got {tuple(pixels.shape)}")
        return self.net.greedy(pixels.detach().to(self._device, torch.float32))

    def _run(self, inputs: Sequence[Image]) -> list[str]:
        for item in inputs:
            if not isinstance(item, Image):
                raise InvalidInversion(f"the captioner needs an Image, got {type(item).__name__}")
            item.validate(self.input_spec)
        if not inputs:
            return []
        return self.caption_images(torch.stack([item.pixels for item in inputs]))

    def _objective(self, x: Tensor, targets: Sequence[Any], **options: Any) -> ObjectiveResult:
        """Per-item loss of captioning ``x`` (``(B, 3, 64, 64)`` in [0, 1]) as ``targets``.

        ``loss[i]`` is -log p(target_i | x_i): the cross-entropy *summed* (not averaged) over
        the target's words and ``<eos>``, so it is a caption log-likelihood and items never mix.
        ``success[i]``: the teacher-forced argmax equals every target token including ``<eos>``,
        i.e. greedy decoding would emit exactly the target. Targets are captions (strings) or
        objects with a ``payload`` string or ``{"text": ...}``.
        """
        if options:
            raise InvbenchError(f"the captioner's objective has no options, got {sorted(options)}")
        if not isinstance(x, Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != (3, 64, 64):
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise InvbenchError(f"objective expects (B, 3, 64, 64) pixels, got {shape}")
        if x.shape[0] != len(targets):
            raise InvbenchError(f"objective got {x.shape[0]} images for {len(targets)} targets")
        inputs, labels = teacher_forcing([caption_text(t) for t in targets])
        logits = self.net(x.to(self._device, torch.float32), inputs.to(self._device))
        loss, success = caption_loss(logits, labels.to(self._device))
        return ObjectiveResult(loss=loss, success=success)
