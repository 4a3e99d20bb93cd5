"""mini-CLIP: a small Shapes-world image encoder aligned to frozen all-MiniLM-L6-v2 sentences.

The ``mini`` suite's CLIP-score judge and its FID/KID feature extractor. Training is LiT-style
(``invbench.recipes.mini_clip``): MiniLM stays frozen and only the image tower learns, plus
two small text-side parameters documented here:

* ``text_map``: an affine map ``384 -> 384`` applied to MiniLM's unit-norm sentence embedding,
  initialised to the identity (zero bias), followed by L2 normalisation. Shapes captions share
  most of their words, so their MiniLM embeddings are close (two captions that differ only in
  which object is red and which blue have cosine ~0.97); the map learns to stretch the directions
  that tell captions apart. The MiniLM weights themselves are never changed.
* ``logit_scale``: the learned log inverse temperature of the contrastive loss (unused by the
  judge's cosine similarities).

The image tower is a plain CNN with GroupNorm (per-sample statistics, so an embedding never
depends on the other images in a batch) on ``(B, 3, 64, 64)`` pixels in ``[0, 1]``: four
stride-2 stages down to a ``4×4`` map, reduced by a 1×1 convolution and flattened (keeping
where things are: captions name relations between objects) into ``d_feat`` penultimate features
(LayerNorm, GELU), then a linear projection to 384 and L2 normalisation.

Example (shapes only; the shipped judge is :func:`load_mini_clip`):
    >>> import torch
    >>> net = MiniCLIPNet().eval()
    >>> net.image_features(torch.zeros(2, 3, 64, 64)).shape
    torch.Size([2, 256])
    >>> net.embed_images(torch.zeros(2, 3, 64, 64)).norm(dim=-1).round(decimals=4).tolist()
    [1.0, 1.0]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

ARCHITECTURE = "mini-clip-cnn-v1"
TEXT_DIM = 384
IMAGE_SIZE = 64


def _block(c_in: int, c_out: int, stride: int, groups: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.GroupNorm(groups, c_out),
        nn.GELU(),
    )


class MiniCLIPNet(nn.Module):
    """Image tower, text-side affine map and temperature (see the module docstring).

    ``widths`` are the channels of the four stride-2 stages (64 -> 32 -> 16 -> 8 -> 4 pixels);
    each stage but the first adds ``extra_convs`` stride-1 convolutions. A 1×1 convolution to
    ``flat_channels`` precedes the flattening into ``d_feat`` features.
    """

    def __init__(
        self,
        widths: Sequence[int] = (32, 64, 96, 128),
        extra_convs: int = 1,
        flat_channels: int = 64,
        d_feat: int = 256,
        groups: int = 8,
        text_dim: int = TEXT_DIM,
        temperature: float = 0.07,
    ) -> None:
        super().__init__()
        self.config: dict[str, Any] = {
            "widths": [int(w) for w in widths],
            "extra_convs": int(extra_convs),
            "flat_channels": int(flat_channels),
            "d_feat": int(d_feat),
            "groups": int(groups),
            "text_dim": int(text_dim),
            "temperature": float(temperature),
        }
        layers: list[nn.Module] = []
        c_in = 3
        for i, width in enumerate(widths):
            layers.append(_block(c_in, width, 2, groups))
            if i > 0:
                layers.extend(_block(width, width, 1, groups) for _ in range(extra_convs))
            c_in = width
        layers += [nn.Conv2d(c_in, flat_channels, 1), nn.GELU()]
        self.trunk = nn.Sequential(*layers)
        side = IMAGE_SIZE // 2 ** len(widths)
        self.to_features = nn.Linear(flat_channels * side * side, d_feat)
        self.feature_norm = nn.LayerNorm(d_feat)
        self.image_projection = nn.Linear(d_feat, text_dim)
        self.text_map = nn.Linear(text_dim, text_dim)
        with torch.no_grad():
            self.text_map.weight.copy_(torch.eye(text_dim))
            self.text_map.bias.zero_()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / temperature)))

    def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        """Penultimate features ``(B, d_feat)`` of pixels ``(B, 3, 64, 64)`` in ``[0, 1]``."""
        x = self.trunk(pixels * 2.0 - 1.0)
        return F.gelu(self.feature_norm(self.to_features(x.flatten(1))))

    def embed_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image_projection(self.image_features(pixels)), dim=-1)

    def map_texts(self, minilm_embeddings: torch.Tensor) -> torch.Tensor:
        """Unit-norm aligned text embeddings from MiniLM sentence embeddings ``(B, 384)``."""
        return F.normalize(self.text_map(minilm_embeddings), dim=-1)


class MiniCLIP:
    """The shipped mini-CLIP judge: frozen, eval mode, weights verified by sha256.

    ``image_features`` (FID/KID), ``embed_images`` and ``embed_texts`` (CLIP score: the cosine
    of the two unit-norm embeddings) are functions of each input alone (no batch statistics).
    """

    def __init__(self, name: str = "mini-clip", device: str = "cpu") -> None:
        from invbench.models.zoo.weights import load_zoo_weights

        weights = load_zoo_weights(name, ARCHITECTURE)
        config = dict(weights.config)
        self.net = MiniCLIPNet(
            widths=config["widths"],
            extra_convs=config["extra_convs"],
            flat_channels=config["flat_channels"],
            d_feat=config["d_feat"],
            groups=config["groups"],
            text_dim=config["text_dim"],
            temperature=config["temperature"],
        )
        self.net.load_state_dict(weights.state_dict)
        self.net.to(device).eval().requires_grad_(False)
        self.name = name
        self.image_size = IMAGE_SIZE
        self.device = torch.device(device)
        self.manifest = weights.manifest
        self.weights_sha256: str = weights.sha256
        self.d_feat: int = int(config["d_feat"])

    def _pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        if pixels.ndim != 4 or tuple(pixels.shape[1:]) != (3, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"mini-CLIP takes pixels of shape (B, 3, {IMAGE_SIZE}, {IMAGE_SIZE}) in [0, 1]; "
                f"got {tuple(pixels.shape)}"
            )
        return pixels.to(self.device, torch.float32)

    @torch.no_grad()
    def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        """Penultimate features ``(B, d_feat)``: the FID/KID feature space."""
        return self.net.image_features(self._pixels(pixels))

    @torch.no_grad()
    def embed_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """Unit-norm image embeddings ``(B, 384)``."""
        return self.net.embed_images(self._pixels(pixels))

    @torch.no_grad()
    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        """Unit-norm text embeddings ``(B, 384)``: MiniLM's, through the learned text map."""
        from invbench.models.minilm import load_minilm

        if isinstance(texts, str):
            raise TypeError("embed_texts takes a sequence of strings, not one string")
        sentences = load_minilm(str(self.device)).encode(list(texts))
        return self.net.map_texts(sentences.to(self.device))

    # ---- the ConsistencyModel contract (invbench.contracts.consistency): differentiable towers

    media_kind = "image"
    embedding_dim = TEXT_DIM

    def embed_media(self, media: torch.Tensor, lengths: torch.Tensor | None = None
                    ) -> torch.Tensor:
        """Unit-norm image embeddings ``(B, 384)``, differentiable with respect to the pixels."""
        if lengths is not None:
            raise ValueError("mini-CLIP embeds images: lengths are for waveforms")
        return self.net.embed_images(self._pixels(media))

    def embed_text(self, texts: Sequence[str]) -> torch.Tensor:
        return self.embed_texts(texts)

    def embed_text_embeddings(self, soft: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Aligned text embeddings ``(B, 384)`` of MiniLM content-token rows ``(B, L, 384)``
        (framed by ``[CLS]``/``[SEP]``, so a text's rows give :meth:`embed_text` of it)."""
        from invbench.models.minilm import load_minilm

        minilm = load_minilm(str(self.device))
        return self.net.map_texts(minilm.encode_embeddings(soft.to(self.device), mask))

    @property
    def text_weights_sha256(self) -> str:
        """sha256 of the frozen MiniLM weights the text side reads."""
        from invbench.models.minilm import load_minilm

        return load_minilm(str(self.device)).weights_sha256

    def describe(self) -> dict[str, Any]:
        quality = self.manifest.quality
        return {
            "name": self.name,
            "architecture": ARCHITECTURE,
            "config": dict(self.net.config),
            "weights_sha256": self.weights_sha256,
            "text_encoder": "all-MiniLM-L6-v2 (frozen) + learned affine text map",
            "text_weights_sha256": self.text_weights_sha256,
            "feature_dim": self.d_feat,
            "embedding_dim": TEXT_DIM,
            "image_to_text_r_at_1_100": quality.get("image_to_text_r_at_1_100"),
        }


@functools.lru_cache(maxsize=4)
def load_mini_clip(name: str = "mini-clip", device: str = "cpu") -> MiniCLIP:
    """One shared judge per (name, device), so metrics reuse a single instance."""
    return MiniCLIP(name, device)


def load_mini_clip_judge(device: str = "cpu") -> MiniCLIP:
    """The independent mini-CLIP (``mini-clip-judge``, seed 1): judges image-text consistency
    where ``mini-clip`` (seed 0) is what an inverter may optimise against."""
    return load_mini_clip("mini-clip-judge", device)
