r"""The paper suite's CLIP judge: open_clip ViT-L/14 with OpenAI's weights (Radford et al. 2021).

Loaded by open_clip's own loader, ``open_clip.create_model_and_transforms("ViT-L-14",
pretrained="openai", force_quick_gelu=True)``, which (open_clip >= 2.23, 3.x) takes the weights
from the Hugging Face hub repository ``timm/vit_large_patch14_clip_224.openai``
(``open_clip_model.safetensors``) in the hub cache; ``invbench prefetch`` fetches it,
``invbench doctor`` checks it (:func:`assets`). open_clip itself (and the torchvision it
imports) is the optional ``judges`` extra.

It implements the judge interface of :mod:`invbench.metrics.clip_score`:

- ``embed_images(pixels)``: unit-norm image embeddings :math:`E_{img}(x)/\lVert E_{img}(x)\rVert`
  (768-d), for CLIPScore.
- ``image_features(pixels)``: the *same projected* 768-d embedding before normalisation, the
  feature space of CLIP-space Fréchet distance (Kynkäänniemi et al. 2023). Pre-projection
  features would need hooks into open_clip internals that change between versions; the
  projection is part of the released model, so this choice is stable and documented.
- ``embed_texts(texts)``: open_clip's BPE tokenizer (77 tokens, truncated) and ``encode_text``,
  unit-norm.

**Preprocessing** (:func:`preprocess`), done inside the judge on ``(B, 3, H, W)`` pixels in
[0, 1] — what open_clip's eval transform (``Resize(224, bicubic)``, ``CenterCrop(224)``,
``Normalize``) does, written with torch on tensors:

1. resize the *shorter* side to 224 with antialiased bicubic interpolation (the longer side to
   ``int(224 * long / short)``), skipped when the image is already that size — torchvision's
   ``Resize`` on a tensor (its antialiased bicubic kernel is PIL's, :math:`a = -0.5`);
2. centre-crop 224×224 with offsets ``round((H - 224) / 2)``, ``round((W - 224) / 2)``;
3. clamp to [0, 1] (bicubic overshoots; PIL's uint8 output clamps too);
4. :math:`(x - \mu) / \sigma` with OpenAI's mean (0.48145466, 0.4578275, 0.40821073) and std
   (0.26862954, 0.26130258, 0.27577711).

Images of any size are accepted (``accepts_any_size``); the resize is recorded in the metric
signature through the judge's ``signature_tag`` (with the dtype and open_clip's version). The
float path never quantises to 8 bits, where open_clip's own transform on a PIL image does (and
PIL rounds and clips between its two resize passes). Measured against open_clip 3.3.0's
transform (torchvision 0.26) on uint8 images: identical at 224×224; on smooth images within
about 1 level of 255 (mean 0.3); on uniform-noise images, where bicubic overshoot is largest,
mean 0.3–0.5 and at worst 21 levels (64×64 upscaled). Without the clamp it equals torchvision's
tensor ``Resize`` + ``CenterCrop`` exactly.

Precision: float32 by default on every device (``dtype`` accepts ``auto``/``bfloat16`` as
:mod:`invbench.models.placement` defines), so judge scores do not depend on the machine.

Tests: the main CPU test environment cannot import open_clip (it needs torchvision, whose wheels
there are CUDA builds), so ``tests/paper/test_judges.py`` covers :func:`preprocess` and the asset
checks. The paper lane (``lanes/paper/tests/test_real_judges.py``, ``docs/paper-lane.md``; its
own environment with open_clip 3.3.0 and torchvision 0.21 on CPU) runs :class:`OpenCLIPJudge`
through this loader on open_clip's ViT-L-14 config at a tiny width with *random* weights planted
in a hub cache as ``timm/vit_large_patch14_clip_224.openai``: embeddings equal open_clip's own
``encode_image`` (on its eval transform, 224×224) and ``encode_text``, unit norms, the weights
hash, a damaged file's one-line error, and real clip_score columns in a captioner/paper run.
Not covered: OpenAI's released weights (nothing is downloaded).

**Activation.** OpenAI's CLIP was trained with QuickGELU, :math:`x\,\sigma(1.702\,x)`, and
open_clip records that in the ``openai`` tag (``quick_gelu: True``), yet open_clip 3.x builds
``ViT-L-14`` with ``nn.GELU`` unless told otherwise (it only warns "QuickGELU mismatch"). The
judge passes ``force_quick_gelu=True``, so the released weights run with the activation they were
trained with; the lane found the mismatch and checks the built modules.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from invbench.assets.kinds import JUDGES_INSTALL, Asset, HubRepo, judges_extra
from invbench.contracts.errors import InvbenchError
from invbench.models.checkpoint_files import (
    check_safetensors,
    damaged_checkpoint,
    redownload_remedy,
)
from invbench.models.placement import resolve_placement

NAME = "openclip-vit-l-14"
ARCHITECTURE = "ViT-L-14"
PRETRAINED = "openai"
HUB_REPO = "timm/vit_large_patch14_clip_224.openai"
WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
IMAGE_SIZE = 224
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
INSTALL = JUDGES_INSTALL
PREPROCESS = f"resize-short{IMAGE_SIZE}-bicubic-aa+center-crop{IMAGE_SIZE}+clamp+openai-norm"
ACTIVATION = "quickgelu"  # what OpenAI's weights were trained with (see the module doc)


def assets() -> list[Asset]:
    """What the judge needs beyond the core install; all optional (its metrics are skipped)."""
    return judges_extra("open_clip ViT-L/14 (OpenAI) judge for CLIPScore", "open_clip",
                        HubRepo(repo_id=HUB_REPO, allow_patterns=(WEIGHT_FILES[0],)))


def resized_size(height: int, width: int, size: int = IMAGE_SIZE) -> tuple[int, int]:
    """torchvision ``Resize(size)``'s output ``(h, w)``: the shorter side becomes ``size``, the
    longer ``int(size * long / short)`` (truncated, as torchvision does)."""
    if height <= 0 or width <= 0:
        raise ValueError(f"image size {height}x{width} must be positive")
    if width <= height:
        return int(size * height / width), size
    return size, int(size * width / height)


def resize_center_crop(pixels: torch.Tensor, size: int = IMAGE_SIZE) -> torch.Tensor:
    """``(B, 3, H, W)`` -> ``(B, 3, size, size)``: shorter side to ``size`` (antialiased bicubic,
    skipped when already there), centre crop, clamp to [0, 1]."""
    if pixels.ndim != 4 or pixels.shape[1] != 3:
        raise ValueError(f"pixels have shape {tuple(pixels.shape)}, expected (B, 3, H, W)")
    height, width = int(pixels.shape[2]), int(pixels.shape[3])
    new_h, new_w = resized_size(height, width, size)
    x = pixels
    if (new_h, new_w) != (height, width):
        x = F.interpolate(x, size=(new_h, new_w), mode="bicubic", align_corners=False,
                          antialias=True)
    top, left = int(round((new_h - size) / 2.0)), int(round((new_w - size) / 2.0))
    return x[:, :, top:top + size, left:left + size].clamp(0.0, 1.0)


def normalize(pixels: torch.Tensor) -> torch.Tensor:
    """``(x - mean) / std`` per channel with OpenAI CLIP's statistics."""
    mean = torch.tensor(MEAN, dtype=pixels.dtype, device=pixels.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=pixels.dtype, device=pixels.device).view(1, 3, 1, 1)
    return (pixels - mean) / std


def preprocess(pixels: torch.Tensor, size: int = IMAGE_SIZE) -> torch.Tensor:
    """open_clip's eval transform on ``(B, 3, H, W)`` float pixels in [0, 1]."""
    return normalize(resize_center_crop(pixels.to(torch.float32), size))


def _weights_file() -> str | None:
    """The cached hub weights file open_clip loads, if it is in the cache."""
    from huggingface_hub import try_to_load_from_cache

    for filename in WEIGHT_FILES:
        found = try_to_load_from_cache(HUB_REPO, filename)
        if isinstance(found, str):
            return found
    return None


def _create(open_clip: Any, path: str | None) -> torch.nn.Module:
    """open_clip's model with its weights from the hub cache (``path``, when cached); a damaged
    or refused weights file is one line naming it, any other failure one line too."""
    remedy = redownload_remedy(HUB_REPO)
    if path is not None and path.endswith(".safetensors"):
        check_safetensors(path, remedy)  # headers only: a truncated download fails here
    try:
        model, _, _ = open_clip.create_model_and_transforms(ARCHITECTURE, pretrained=PRETRAINED,
                                                            force_quick_gelu=True)
    except Exception as exc:  # missing from the cache offline, or a corrupt file
        damaged = damaged_checkpoint(path, exc, remedy)
        if damaged is not None:
            raise damaged from None
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InvbenchError(f"cannot load {NAME} ({ARCHITECTURE}, pretrained={PRETRAINED}; "
                            f"hub {HUB_REPO}): run `invbench prefetch` online ({reason})") \
            from None
    return model


class OpenCLIPJudge:
    """open_clip ViT-L/14 (OpenAI weights) behind the judge interface (see the module doc)."""

    name = NAME
    image_size = IMAGE_SIZE
    accepts_any_size = True

    def __init__(self, device: str = "cpu", dtype: str = "float32") -> None:
        for package in assets()[:2]:
            status = package.check()
            if not status.present:
                raise InvbenchError(f"the {NAME} judge needs the judges extra: {status.detail}")
        import open_clip

        from invbench.models.weights_identity import file_sha256, modules_sha256

        self.placement = resolve_placement(device, dtype)
        path = _weights_file()
        self.model = _create(open_clip, path).eval().requires_grad_(False)
        self.model.to(self.placement.device, self.placement.dtype)
        self.tokenizer = open_clip.get_tokenizer(ARCHITECTURE)
        # One checkpoint holds both towers: its hash names both (the hub blob name, no re-hash).
        digest = file_sha256(path) if path else modules_sha256([("openclip", self.model)])
        self.weights_sha256 = self.text_weights_sha256 = digest
        self.open_clip_version = str(getattr(open_clip, "__version__", "unknown"))
        # appended to the judge's name in metric signatures: what else changes its numbers
        self.signature_tag = f"{PREPROCESS}+{ACTIVATION}+{self.placement.describe()['dtype']}" \
            f"+open_clip-{self.open_clip_version}"

    def _encode(self, pixels: torch.Tensor) -> torch.Tensor:
        x = preprocess(torch.as_tensor(pixels)).to(self.placement.device, self.placement.dtype)
        return self.model.encode_image(x).to(torch.float32)

    @torch.no_grad()
    def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        """Projected, unnormalised image embeddings ``(B, 768)`` (the FID/KID feature space)."""
        return self._encode(pixels)

    @torch.no_grad()
    def embed_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """Unit-norm image embeddings ``(B, 768)``."""
        return F.normalize(self._encode(pixels), dim=-1)

    @torch.no_grad()
    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        """Unit-norm text embeddings ``(B, 768)`` (BPE, 77-token context, truncated)."""
        if isinstance(texts, str):
            raise TypeError("embed_texts takes a sequence of strings, not one string")
        tokens = self.tokenizer(list(texts)).to(self.placement.device)
        return F.normalize(self.model.encode_text(tokens).to(torch.float32), dim=-1)

    def describe(self) -> dict[str, Any]:
        return {"name": NAME, "architecture": ARCHITECTURE, "pretrained": PRETRAINED,
                "hub_repo": HUB_REPO, "open_clip": self.open_clip_version,
                "weights_sha256": self.weights_sha256, "preprocess": PREPROCESS,
                "activation": ACTIVATION,
                **self.placement.describe()}


@functools.lru_cache(maxsize=2)
def load_openclip_judge(device: str = "cpu", dtype: str = "float32") -> OpenCLIPJudge:
    """One shared judge per (device, dtype): CLIPScore and FID/KID reuse a single instance."""
    return OpenCLIPJudge(device, dtype)


# the MODELS entry declares its assets like a forward model's static assets(): `invbench doctor`
# and the metrics' required_assets() read them without loading anything
load_openclip_judge.assets = assets  # type: ignore[attr-defined]
