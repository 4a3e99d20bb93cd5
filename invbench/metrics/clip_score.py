r"""CLIPScore (Hessel et al. 2021) of the recovered image against the target caption.

With a judge CLIP's image encoder :math:`E_{img}` and text encoder :math:`E_{txt}`,

.. math::
    \mathrm{CLIPScore}(x, y) = w \cdot \max\big(\cos(E_{img}(x), E_{txt}(y)), 0\big),
    \qquad w = 2.5

in [0, 2.5], cosine in float64. The judge is invbench's mini-CLIP
(:func:`invbench.models.zoo.mini_clip.load_mini_clip`: a 64×64 image encoder aligned to frozen
MiniLM
sentence embeddings), never the captioner under inversion; any object with the same methods can be
injected (``CLIPScore(judge=...)``): ``embed_images((B, 3, S, S)) -> (B, d)``,
``embed_texts(list[str]) -> (B, d)``, ``weights_sha256``, ``text_weights_sha256`` and optionally
``name`` and ``image_size`` (default 64); FID/KID also use its ``image_features``. The image must
already be ``S×S`` (nothing is resized) unless the judge sets ``accepts_any_size`` and resizes
itself, recording how in its ``signature_tag`` (appended to its name in signatures).

``model`` names a judge registered in ``invbench.plugins.catalog.MODELS``: ``mini-clip`` (the
mini zoo, offline), and for the paper suite ``openclip-vit-l-14``
(:mod:`invbench.models.judges.openclip`) and ``inception-v3-fid``
(:mod:`invbench.models.judges.inception`, image features only, for FID/KID). The last two need
the optional ``judges`` extra and downloaded weights; :func:`judge_assets` lists them without
loading anything, and a task whose judge is missing gets its metric skipped
with that reason (:mod:`invbench.scoring.metric_binding`).

torchmetrics' ``clip_score`` is the same formula with :math:`w = 100` and HF CLIP models. It
accepts a callable returning a ``(model, processor)`` pair, so the tests hand it the same judge
through a thin adapter and check ``clip_score * 100 / 2.5`` against it, one item per call
(torchmetrics clamps the *batch mean* at 0, invbench each item).

:class:`RandomProjectionJudge` is a seeded stand-in with mini-CLIP's interface (random linear maps;
it understands nothing) for examples and tests that must not depend on trained weights.

Example:
    >>> import torch
    >>> from invbench.contracts.media import Image
    >>> from invbench.metrics.clip_score import CLIPScore, RandomProjectionJudge, clip_score
    >>> clip_score([[1.0, 0.0]], [[0.6, 0.8]]).tolist()  # 2.5 * 0.6
    [1.5]
    >>> clip_score([[1.0, 0.0]], [[-0.6, 0.8]]).tolist()  # negative cosine: 0
    [0.0]
    >>> metric = CLIPScore(judge=RandomProjectionJudge(seed=0))
    >>> image = Image(torch.full((3, 64, 64), 0.25))
    >>> score = metric.score_item(image=image, target_text="a red circle")["clip_score"]
    >>> 0.0 <= score <= 2.5
    True
    >>> metric.signature()
    'clip_score|model:random-projection|sha256:...|text_sha256:...|w:2.5|cos:clipped-at-0|version:1'
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import numpy as np
import torch

from invbench.assets import Asset
from invbench.contracts.errors import InvbenchError
from invbench.contracts.media import Image
from invbench.contracts.metric import Metric, MetricInputError, MetricOutput
from invbench.metrics.image_similarity import checked_pixels

W = 2.5
DEFAULT_IMAGE_SIZE = 64


class ClipJudge(Protocol):
    """What CLIPScore and FID/KID need from a judge CLIP (mini-CLIP's interface)."""

    weights_sha256: str
    text_weights_sha256: str

    def embed_images(self, pixels: torch.Tensor) -> torch.Tensor: ...

    def image_features(self, pixels: torch.Tensor) -> torch.Tensor: ...

    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor: ...


JUDGE_METHODS = ("embed_images", "image_features", "embed_texts")


def load_judge(model: str, device: str = "cpu") -> ClipJudge:
    """The judge registered in ``MODELS`` as ``model``: mini-CLIP (the mini zoo), open_clip
    ViT-L/14 or Inception-v3 (FID), or a plug-in's (entry-point group ``invbench.models``)."""
    from invbench.plugins.catalog import MODELS

    judge = MODELS.get(model)(device=device)
    if not any(hasattr(judge, method) for method in JUDGE_METHODS):
        raise InvbenchError(
            f"model {model!r} is not a judge CLIP (it has none of {', '.join(JUDGE_METHODS)})"
        )
    return judge


def judge_assets(model: str) -> list[Asset]:
    """What the named judge needs beyond the core install (``[]`` for mini-CLIP), unloaded: the
    ``assets()`` its registry entry declares, as forward models do."""
    from invbench.plugins.catalog import MODELS

    declare = getattr(MODELS.get(model), "assets", None)
    return list(declare()) if declare is not None else []


def judge_name(judge: Any, model: str) -> str:
    """The judge's name for signatures, with its ``signature_tag`` (preprocessing, library
    version) when it has one."""
    name = str(getattr(judge, "name", model))
    tag = getattr(judge, "signature_tag", None)
    return f"{name}/{tag}" if tag else name


def judge_image(judge: Any, image: Any, method: str = "embed_images") -> np.ndarray:
    """``judge.<method>`` of one checked ``Image`` (a batch of one) as float64 ``(d,)``. It must
    be ``image_size`` square unless the judge resizes itself (``accepts_any_size``)."""
    size = int(getattr(judge, "image_size", DEFAULT_IMAGE_SIZE))
    shape = None if getattr(judge, "accepts_any_size", False) else (size, size)
    pixels = checked_pixels(image, "image", shape).to(torch.float32)
    with torch.no_grad():
        out = getattr(judge, method)(pixels.unsqueeze(0))
    return torch.as_tensor(out).detach().cpu().to(torch.float64).numpy().reshape(-1)


def clip_score(image_embeddings: Any, text_embeddings: Any, w: float = W) -> np.ndarray:
    """``w * max(cos, 0)`` per row of two ``(B, d)`` embedding arrays (float64)."""
    a = np.atleast_2d(np.asarray(image_embeddings, dtype=np.float64))
    b = np.atleast_2d(np.asarray(text_embeddings, dtype=np.float64))
    if a.shape != b.shape:
        raise ValueError(f"image embeddings {a.shape} and text embeddings {b.shape} differ")
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return w * np.maximum(np.clip(cos, -1.0, 1.0), 0.0)


class RandomProjectionJudge:
    """A deterministic stand-in judge: images and words mapped by seeded random projections.

    ``image_features`` projects the centred pixels with a fixed Gaussian matrix and
    ``embed_images`` L2-normalises them; ``embed_texts`` sums one seeded Gaussian vector per
    whitespace word, L2-normalised. For tests and examples only: its cosines carry no meaning.
    """

    name = "random-projection"

    def __init__(self, seed: int = 0, dim: int = 384, image_size: int = DEFAULT_IMAGE_SIZE) -> None:
        self.seed, self.dim, self.image_size = seed, dim, image_size
        g = torch.Generator().manual_seed(seed)
        inputs = 3 * image_size * image_size
        self.projection = torch.randn(inputs, dim, generator=g) / math.sqrt(inputs)
        tag = f"{self.name}:{seed}:{dim}:{image_size}"
        self.weights_sha256 = hashlib.sha256(f"{tag}:image".encode()).hexdigest()
        self.text_weights_sha256 = hashlib.sha256(f"{tag}:text".encode()).hexdigest()

    def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        flat = pixels.reshape(pixels.shape[0], -1).to(torch.float32) - 0.5
        return flat @ self.projection

    def embed_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.normalize(self.image_features(pixels), dim=-1)

    def _word(self, word: str) -> torch.Tensor:
        digest = hashlib.sha256(f"{self.seed}:{word}".encode()).hexdigest()
        return torch.randn(self.dim, generator=torch.Generator().manual_seed(int(digest[:15], 16)))

    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        rows = [sum((self._word(w) for w in t.split()), torch.zeros(self.dim)) for t in texts]
        return torch.nn.functional.normalize(torch.stack(rows), dim=-1)


class JudgedMetric(Metric):
    """A metric that reads a judge CLIP (``model``, or ``judge`` given), loaded on first use."""

    def __init__(self, model: str = "mini-clip", judge: ClipJudge | None = None) -> None:
        self.model = model
        self._judge = judge

    @property
    def judge(self) -> ClipJudge:
        if self._judge is None:
            self._judge = load_judge(self.model)
        return self._judge

    def required_assets(self) -> list[Asset]:
        """The named judge's assets (none when a judge object was given); loads nothing."""
        return [] if self._judge is not None else judge_assets(self.model)


class CLIPScore(JudgedMetric):
    """Hessel et al.'s CLIPScore ``2.5 * max(cos, 0)`` of the image and the target caption."""

    name: ClassVar[str] = "clip_score"
    description: ClassVar[str] = "2.5 * max(cos(judge image emb., judge text emb.), 0)"
    requires: ClassVar[tuple[str, ...]] = ("image", "target_text")
    reference: ClassVar[str] = "torchmetrics"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("clip_score", True, (0.0, W), "2.5 * max(cosine, 0) by the judge CLIP"),
    )

    def settings(self) -> dict[str, Any]:
        judge = self.judge
        return {
            "model": judge_name(judge, self.model),
            "sha256": judge.weights_sha256[:12],
            "text_sha256": judge.text_weights_sha256[:12],
            "w": W,
            "cos": "clipped-at-0",
        }

    def score_item(self, image: Image, target_text: str, **_: Any) -> dict[str, float]:
        if not isinstance(target_text, str):
            raise MetricInputError(f"target_text must be a str, got {type(target_text).__name__}")
        if not target_text.strip():
            raise MetricInputError(f"target_text {target_text!r} is empty; CLIPScore is undefined")
        image_embedding = judge_image(self.judge, image)
        with torch.no_grad():
            text = torch.as_tensor(self.judge.embed_texts([target_text]))
        text_embedding = text.detach().cpu().to(torch.float64).numpy().reshape(-1)
        return {"clip_score": float(clip_score(image_embedding, text_embedding)[0])}
