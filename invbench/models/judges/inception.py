r"""The paper suite's FID/KID feature extractor: torch-fidelity's Inception-v3 (pool3, 2048-d).

``torch_fidelity.feature_extractor_inceptionv3.FeatureExtractorInceptionV3(
"inception-v3-compat", ["2048"])`` is the TensorFlow FID Inception graph (Heusel et al. 2017)
ported bit-compatibly to PyTorch; its weights are torch-fidelity's release file
``weights-inception-2015-12-05-6726825d.pth``, which torch hub caches in
``<torch hub dir>/checkpoints/`` (``invbench prefetch`` fetches it; :func:`assets` lists it).
torch-fidelity (whose package imports torchvision) is the optional ``judges`` extra.

**Input** (:func:`quantize_uint8`): torch-fidelity's Inception takes *uint8* images, as the
original TensorFlow FID read 8-bit files. Pixels in [0, 1] are quantised as

.. math::
    q = \operatorname{round}(255 \, x) \in \{0, \dots, 255\}

(round half to even, in the pixels' own dtype, as ``numpy.rint``) — the same bytes invbench
writes to the recovered image's PNG artifact, so features from memory and from the saved file
agree. (torchmetrics'
``normalize=True`` truncates instead: ``(255 x).byte()``.) torch-fidelity then resizes the
uint8 batch to 299×299 itself, with its TensorFlow-1-compatible bilinear interpolation (no
antialiasing), and maps it to :math:`(q - 128) / 128`. Images of any size are accepted.

``image_features`` returns the ``(B, 2048)`` average-pooled ``pool3`` features in float32 (the
feature space of published FID/KID numbers). The extractor runs in float32 on every device.
There is no text tower: ``embed_images``/``embed_texts`` raise a clear error (use it for
``fid_kid``, not ``clip_score``).

**Loading without unpickling**: torch-fidelity would read its weights with
``torch.hub.load_state_dict_from_url`` (``torch.load(weights_only=False)``). invbench reads the
cached file itself with ``torch.load(weights_only=True)`` and hands that state dict to the
constructor, so nothing is unpickled and nothing is downloaded at scoring time.

Tests: the main CPU test environment cannot import torch-fidelity (it needs torchvision, whose
wheels there are CUDA builds), so ``tests/paper/test_judges.py`` covers :func:`quantize_uint8`
and the asset checks. The paper lane (``lanes/paper/tests/test_real_judges.py``,
``docs/paper-lane.md``; torch-fidelity 0.4.0 on CPU) runs :class:`InceptionJudge` on a *random*
state dict of the real, full-size extractor saved at :func:`weights_path` under a temporary
``TORCH_HOME``: the loading route above, ``(B, 2048)`` features at 64×64 and 96×160 equal to
torch-fidelity's own extractor (built from the same file) on ``round(255 x)``, and real fid/kid
columns in a captioner/paper run. Not covered: the released weights (nothing is downloaded).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import torch

from invbench.assets.kinds import JUDGES_INSTALL, Asset, UrlFile, judges_extra
from invbench.contracts.errors import InvbenchError
from invbench.models.placement import resolve_placement

NAME = "inception-v3-fid"
WEIGHTS_URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
               "weights-inception-2015-12-05-6726825d.pth")
FEATURES = "2048"
INPUT_SIZE = 299
INSTALL = JUDGES_INSTALL
PREPROCESS = "uint8-round(255x)+tf1-bilinear-299+(q-128)/128"


def weights_path() -> Path:
    """Where torch hub (and so torch-fidelity) caches the weights: ``$TORCH_HOME`` aware."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(WEIGHTS_URL)


def assets() -> list[Asset]:
    """What the judge needs beyond the core install; all optional (its metrics are skipped)."""
    return judges_extra("Inception-v3 (torch-fidelity) features for FID/KID", "torch_fidelity",
                        UrlFile(url=WEIGHTS_URL, path=str(weights_path())))


def quantize_uint8(pixels: torch.Tensor) -> torch.Tensor:
    """``round(255 x)`` as uint8 for pixels in [0, 1] (round half to even); out of range or
    non-finite input is a ``ValueError``, never clamped silently."""
    x = torch.as_tensor(pixels)
    if not x.is_floating_point():
        raise ValueError(f"pixels must be floating point in [0, 1], got {x.dtype}")
    if not torch.isfinite(x).all() or float(x.min()) < 0.0 or float(x.max()) > 1.0:
        raise ValueError("pixels must be finite and within [0, 1] before 8-bit quantisation")
    return torch.round(x * 255.0).to(torch.uint8)  # in x's dtype, as the PNG writer does


class InceptionJudge:
    """torch-fidelity's FID Inception-v3 behind the judge interface (image features only)."""

    name = NAME
    image_size = INPUT_SIZE
    accepts_any_size = True

    def __init__(self, device: str = "cpu", weights: str | Path | None = None) -> None:
        for package in assets()[:2]:
            status = package.check()
            if not status.present:
                raise InvbenchError(f"the {NAME} judge needs the judges extra: {status.detail}")
        path = Path(weights) if weights is not None else weights_path()
        if not path.is_file():
            raise InvbenchError(f"the {NAME} judge needs {path}; run `invbench prefetch` online "
                                f"(from {WEIGHTS_URL})")
        import torch_fidelity
        import torch_fidelity.feature_extractor_inceptionv3 as inception

        from invbench.fs.atomic import sha256_file

        state = torch.load(path, map_location="cpu", weights_only=True)
        self.weights_sha256 = sha256_file(path)
        self.text_weights_sha256 = "none"  # no text tower
        self.placement = resolve_placement(device, "float32")
        # torch-fidelity fetches its weights through this module-level name: hand it ours.
        with mock.patch.object(inception, "load_state_dict_from_url", lambda *a, **k: state):
            net = inception.FeatureExtractorInceptionV3(NAME, [FEATURES])
        self.net = net.eval().requires_grad_(False).to(self.placement.device)
        self.torch_fidelity_version = str(getattr(torch_fidelity, "__version__", "unknown"))
        self.signature_tag = f"{PREPROCESS}+torch-fidelity-{self.torch_fidelity_version}"

    @torch.no_grad()
    def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        """``(B, 2048)`` pool3 features of ``(B, 3, H, W)`` pixels in [0, 1], float32."""
        x = quantize_uint8(pixels)
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"pixels have shape {tuple(x.shape)}, expected (B, 3, H, W)")
        (features,) = self.net(x.to(self.placement.device))
        return features.to(torch.float32).reshape(x.shape[0], -1)

    def embed_images(self, pixels: torch.Tensor) -> torch.Tensor:
        raise InvbenchError(f"{NAME} has no joint image-text space; it serves fid_kid only "
                            "(use model openclip-vit-l-14 for clip_score)")

    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        raise InvbenchError(f"{NAME} has no text tower; it serves fid_kid only "
                            "(use model openclip-vit-l-14 for clip_score)")

    def describe(self) -> dict[str, Any]:
        return {"name": NAME, "features": FEATURES, "weights_url": WEIGHTS_URL,
                "weights_sha256": self.weights_sha256, "preprocess": PREPROCESS,
                "torch_fidelity": self.torch_fidelity_version, **self.placement.describe()}


@functools.lru_cache(maxsize=2)
def load_inception_judge(device: str = "cpu") -> InceptionJudge:
    """One shared extractor per device (FID/KID and the reference pool reuse it)."""
    return InceptionJudge(device)


# the MODELS entry declares its assets like a forward model's static assets(): `invbench doctor`
# and the metrics' required_assets() read them without loading anything
load_inception_judge.assets = assets  # type: ignore[attr-defined]
