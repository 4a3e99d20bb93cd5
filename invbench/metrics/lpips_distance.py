r"""LPIPS (Zhang et al. 2018) of the recovered image against the target's reference image.

The learned perceptual distance with the AlexNet backbone, version 0.1 (the ``lpips`` package's
default). With unit-normalised channel activations :math:`\hat f^l` of layer :math:`l` (5 layers,
:math:`H_l \times W_l` positions) and the learned non-negative channel weights :math:`w_l`:

.. math::
    \mathrm{LPIPS}(x, y) = \sum_l \frac{1}{H_l W_l} \sum_{h,w}
    \big\lVert w_l \odot (\hat f^l_{hw}(x) - \hat f^l_{hw}(y)) \big\rVert_2^2

in [0, inf), lower is better, 0 for identical images; ``spatial=False`` (one number per image).
Inputs are the recovered ``image`` and the target's ``reference_image`` — the fields SSIM/PSNR
read — both ``(3, H, W)`` in [0, 1], same shape (nothing is resized), at least 31×31 (the
smallest input AlexNet's two max-pools accept). They are scaled to the network's range by
:func:`lpips_inputs`: :math:`2x - 1 \in [-1, 1]` (``lpips``' ``normalize=True``). Items without a
reference image are not scored (``{}``).

**Weights**: the linear heads ship inside the ``lpips`` package (``weights/v0.1/alex.pth``); the
backbone is torchvision's ImageNet AlexNet, ``alexnet-owt-7be5be79.pth`` in torch hub's
``checkpoints/`` (``invbench prefetch`` fetches it; :meth:`LPIPS.required_assets` lists both).
invbench builds ``lpips.LPIPS(pretrained=False, pnet_rand=True)`` and loads both files itself
with ``torch.load(weights_only=True)``, so nothing is unpickled or downloaded at scoring time.
``lpips`` (which imports torchvision) is the optional ``judges`` extra; without it a task's
``lpips`` entry is skipped with that reason (:mod:`invbench.scoring.metric_binding`).

A network can be injected (``LPIPS(network=fn)``, ``fn(x, y) -> (1,)`` on ``(1, 3, H, W)``
inputs in [-1, 1]) for tests; the signature then names it.

Tests: the main CPU test environment cannot import lpips (it needs torchvision, whose wheels
there are CUDA builds), so ``tests/paper/test_judges.py`` covers :func:`lpips_inputs`, validation,
the AlexNet key mapping and the item logic with an injected network. The paper lane
(``lanes/paper/tests/test_real_judges.py``, ``docs/paper-lane.md``; lpips 0.1.4, torchvision 0.21
on CPU) runs :func:`load_lpips` and :class:`LPIPS` with a *random* AlexNet saved at
:func:`backbone_path` under a temporary ``TORCH_HOME``: at 31×31, 64×64 and 48×80 they equal
``lpips.LPIPS(net="alex")`` built by lpips' own loader on the same file, 0 for identical images,
and a captioner/paper run has real lpips columns. Not covered: the released ImageNet AlexNet
(nothing is downloaded).

Example:
    >>> import torch
    >>> from invbench.contracts.media import Image
    >>> from invbench.metrics.lpips_distance import lpips_inputs
    >>> x, y = lpips_inputs(Image(torch.ones(3, 32, 32)), Image(torch.zeros(3, 32, 32)))
    >>> x.shape, float(x.min()), float(y.max())
    (torch.Size([1, 3, 32, 32]), 1.0, -1.0)
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import torch

from invbench.assets.kinds import JUDGES_INSTALL, Asset, UrlFile, judges_extra
from invbench.contracts.errors import InvbenchError
from invbench.contracts.media import Image
from invbench.contracts.metric import Metric, MetricInputError, MetricOutput
from invbench.metrics.image_similarity import checked_pixels

NET = "alex"
LPIPS_VERSION = "0.1"
MIN_SIZE = 31
BACKBONE_URL = "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"
INSTALL = JUDGES_INSTALL
# torchvision alexnet.features indices -> lpips' five slices (relu1 .. relu5)
SLICES = ((0, 2), (2, 5), (5, 8), (8, 10), (10, 12))

Network = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def backbone_path() -> Path:
    """Where torch hub (and so torchvision) caches the AlexNet weights: ``$TORCH_HOME`` aware."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(BACKBONE_URL).name


def assets() -> list[Asset]:
    """What LPIPS(alex) needs beyond the core install; all optional (the metric is skipped)."""
    return judges_extra("LPIPS(alex, v0.1) perceptual distance", "lpips",
                        UrlFile(url=BACKBONE_URL, path=str(backbone_path())))


def lpips_inputs(image: Any, reference_image: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Checked ``(1, 3, H, W)`` float32 pair scaled from [0, 1] to [-1, 1] (``2x - 1``), or a
    :class:`MetricInputError` naming the field and the problem (range, NaN, shape, size)."""
    x = checked_pixels(image, "image")
    y = checked_pixels(reference_image, "reference_image")
    if x.shape != y.shape:
        raise MetricInputError(f"image has shape {tuple(x.shape)} but reference_image has "
                               f"{tuple(y.shape)}; they must match (nothing is resized)")
    if min(x.shape[1:]) < MIN_SIZE:
        raise MetricInputError(f"image is {x.shape[1]}×{x.shape[2]}; LPIPS(alex) needs at least "
                               f"{MIN_SIZE}×{MIN_SIZE}")
    return ((2.0 * x - 1.0).to(torch.float32).unsqueeze(0),
            (2.0 * y - 1.0).to(torch.float32).unsqueeze(0))


def package_version() -> str:
    """The installed ``lpips`` version (it ships the linear weights), or ``absent``."""
    try:
        return importlib.metadata.version("lpips")
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@functools.lru_cache(maxsize=2)
def load_lpips(device: str = "cpu") -> torch.nn.Module:
    """``lpips.LPIPS(net="alex", version="0.1")`` with both weight files read safely."""
    for asset in assets():
        status = asset.check()
        if not status.present:
            raise InvbenchError(f"LPIPS(alex) needs {asset.key}: {status.detail}")
    import lpips

    net = lpips.LPIPS(pretrained=False, net=NET, version=LPIPS_VERSION, pnet_rand=True,
                      verbose=False)
    heads = Path(lpips.__file__).parent / "weights" / f"v{LPIPS_VERSION}" / f"{NET}.pth"
    state = torch.load(heads, map_location="cpu", weights_only=True)
    result = net.load_state_dict(state, strict=False)
    # the backbone comes next; ``lins.{k}`` aliases ``lin{k}`` (the same parameters)
    stray = [k for k in result.missing_keys if not k.startswith(("net.", "scaling_layer."))
             and not (k.startswith("lins.") and "lin" + k.removeprefix("lins.") in state)]
    if result.unexpected_keys or stray:
        raise InvbenchError(f"{heads} does not match LPIPS(alex): unexpected "
                            f"{result.unexpected_keys}, missing {stray}")
    backbone = torch.load(backbone_path(), map_location="cpu", weights_only=True)
    net.net.load_state_dict(_slice_keys(backbone), strict=True)
    return net.eval().requires_grad_(False).to(device)


def _slice_keys(alexnet_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """torchvision ``features.{i}.{p}`` keys renamed to lpips' ``slice{k}.{i}.{p}``."""
    out = {}
    for key, value in alexnet_state.items():
        if not key.startswith("features."):
            continue  # the classifier is not part of LPIPS
        index = int(key.split(".")[1])
        k = next(n for n, (lo, hi) in enumerate(SLICES, 1) if lo <= index < hi)
        out[f"slice{k}.{key.removeprefix('features.')}"] = value
    return out


class LPIPS(Metric):
    """Learned perceptual distance (AlexNet, v0.1) of the image to its reference image."""

    name: ClassVar[str] = "lpips"
    description: ClassVar[str] = "LPIPS(alex, v0.1) of the recovered image vs the reference"
    requires: ClassVar[tuple[str, ...]] = ("image", "reference_image")
    reference: ClassVar[str] = "lpips"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("lpips", False, (0.0, math.inf), "LPIPS(alex, v0.1), inputs in [-1, 1]"),
    )

    def __init__(self, device: str = "cpu", network: Network | None = None) -> None:
        self.device = device
        self.injected = network
        self._network = network

    def required_assets(self) -> list[Asset]:
        """The ``lpips`` package, torchvision and the AlexNet weights (none when injected)."""
        return [] if self.injected is not None else assets()

    @property
    def network(self) -> Network:
        if self._network is None:
            net = load_lpips(self.device)
            self._network = lambda x, y: net(x.to(self.device), y.to(self.device))
        return self._network

    def settings(self) -> dict[str, Any]:
        return {
            "net": NET if self.injected is None else getattr(self.injected, "name", "custom"),
            "backbone": Path(BACKBONE_URL).stem,
            "lpips_version": LPIPS_VERSION,
            "package": f"lpips-{package_version()}",
            "spatial": False,
            "scale": "2x-1",
            "resize": "none",
        }

    def score_item(
        self, image: Image, reference_image: Image | None = None, **_: Any
    ) -> dict[str, float]:
        if reference_image is None:
            return {}
        x, y = lpips_inputs(image, reference_image)
        with torch.no_grad():
            value = torch.as_tensor(self.network(x, y)).detach().to("cpu", torch.float64)
        return {"lpips": float(value.reshape(-1)[0])}
