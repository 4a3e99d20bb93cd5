r"""Full-reference image similarity: SSIM and PSNR of the recovered image against a reference.

Both compare the recovered ``image`` :math:`x` with the target's ``reference_image`` :math:`y`
(same ``(3, H, W)`` shape, values in [0, 1], so the data range is :math:`L = 1`), in float64.

**PSNR** over all :math:`n = 3HW` values:

.. math::
    \mathrm{PSNR} = 10 \log_{10} \frac{L^2}{\tfrac{1}{n} \sum (x - y)^2}

An image identical to its reference has :math:`\mathrm{PSNR} = +\infty`, and that is the value
recorded (version 2; version 1 refused such items): a cap would put an arbitrary number into the
mean, and refusing the item made a perfect reconstruction look like a missing score. A row with
any infinite item has mean ``inf``; the leaderboard writes ``inf`` and keeps "–" for no value.

**SSIM** (Wang et al. 2004) with an 11×11 Gaussian window :math:`w` (:math:`\sigma = 1.5`), local
statistics :math:`\mu = w * x`, :math:`\sigma_x^2 = w * x^2 - \mu_x^2` (clamped at 0),
:math:`\sigma_{xy} = w * xy - \mu_x \mu_y`, and :math:`C_1 = (0.01 L)^2, C_2 = (0.03 L)^2`:

.. math::
    \mathrm{SSIM} = \operatorname{mean}_{c,i,j}
    \frac{(2 \mu_x \mu_y + C_1)(2 \sigma_{xy} + C_2)}
         {(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)}

As in torchmetrics' ``structural_similarity_index_measure`` (the reference), each channel is
reflect-padded by 5 pixels so the map covers every pixel, and the mean runs over all channels and
pixels (scikit-image instead averages only the interior, valid windows: values differ slightly).
Images must be at least 11×11. Items without a reference image are not scored (``{}``).

Example:
    >>> import torch
    >>> from invbench.contracts.media import Image
    >>> from invbench.metrics.image_similarity import PSNR, SSIM
    >>> y = torch.linspace(0.0, 0.8, 3 * 16 * 16).reshape(3, 16, 16)
    >>> x, reference = Image(y + 0.1), Image(y)  # every pixel off by 0.1: MSE 0.01
    >>> round(PSNR().score_item(image=x, reference_image=reference)["psnr_db"], 3)
    20.0
    >>> round(SSIM().score_item(image=x, reference_image=reference)["ssim"], 4)
    0.9162
    >>> PSNR().score_item(image=x, reference_image=None)  # no reference: not scored
    {}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from invbench.contracts.errors import InvalidInversion
from invbench.contracts.media import Image, ImageSpec
from invbench.contracts.metric import Metric, MetricInputError, MetricOutput

WINDOW = 11
SIGMA = 1.5
K1, K2 = 0.01, 0.03
DATA_RANGE = 1.0


def checked_pixels(image: Any, field: str, size: tuple[int, int] | None = None) -> torch.Tensor:
    """``image``'s pixels as a float64 ``(3, H, W)`` tensor, or :class:`MetricInputError` naming
    ``field`` and what is wrong (not an Image, not ``(3, H, W)``, not ``size``, NaN, outside
    [0, 1], empty). Never resizes or clamps."""
    if not isinstance(image, Image):
        raise MetricInputError(f"{field} must be an Image, got {type(image).__name__}")
    x = image.pixels
    if not isinstance(x, torch.Tensor):
        raise MetricInputError(f"{field} pixels must be a tensor, got {type(x).__name__}")
    if x.ndim != 3 or x.shape[0] != 3:
        raise MetricInputError(f"{field} has shape {tuple(x.shape)}, expected (3, H, W)")
    if x.numel() == 0:  # before validate: the range check cannot reduce an empty tensor
        raise MetricInputError(f"{field} is empty: shape {tuple(x.shape)}")
    height, width = size if size is not None else (int(x.shape[1]), int(x.shape[2]))
    try:
        image.validate(ImageSpec(height=height, width=width))
    except InvalidInversion as exc:  # its messages say "image ...": name the field instead
        message = str(exc)
        message = field + message[5:] if message.startswith("image ") else message
        raise MetricInputError(message) from None
    return x.detach().cpu().to(torch.float64)


def _pair(image: Any, reference_image: Any) -> tuple[torch.Tensor, torch.Tensor]:
    x = checked_pixels(image, "image")
    y = checked_pixels(reference_image, "reference_image")
    if x.shape != y.shape:
        raise MetricInputError(
            f"image has shape {tuple(x.shape)} but reference_image has {tuple(y.shape)}; "
            "they must match (nothing is resized)"
        )
    return x, y


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = DATA_RANGE) -> float:
    """PSNR in dB of ``x`` against ``y`` (any equal shapes), over all values, in float64."""
    mse = float(torch.mean((x.double() - y.double()) ** 2))
    if mse == 0.0:
        return math.inf  # identical images: the exact value, not an error (module docstring)
    return 10.0 * math.log10(data_range**2 / mse)


def _gaussian_window(channels: int) -> torch.Tensor:
    offsets = torch.arange(WINDOW, dtype=torch.float64) - (WINDOW - 1) / 2
    g = torch.exp(-((offsets / SIGMA) ** 2) / 2)
    g = g / g.sum()
    return torch.outer(g, g).expand(channels, 1, WINDOW, WINDOW).contiguous()


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = DATA_RANGE) -> float:
    """Mean SSIM of ``(C, H, W)`` images ``x`` and ``y`` (reflect padding, float64)."""
    x, y = x.double().unsqueeze(0), y.double().unsqueeze(0)
    channels, height, width = x.shape[1:]
    if min(height, width) < WINDOW:
        raise MetricInputError(
            f"image is {height}×{width}; SSIM needs at least {WINDOW}×{WINDOW} (one full window)"
        )
    pad = (WINDOW - 1) // 2
    x = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    y = F.pad(y, (pad, pad, pad, pad), mode="reflect")
    stats = F.conv2d(
        torch.cat([x, y, x * x, y * y, x * y]), _gaussian_window(channels), groups=channels
    )
    mu_x, mu_y, xx, yy, xy = stats
    var_x = torch.clamp(xx - mu_x**2, min=0.0)
    var_y = torch.clamp(yy - mu_y**2, min=0.0)
    cov = xy - mu_x * mu_y
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    return float(index.mean())


class _ImagePairMetric(Metric):
    """An image compared with its target's reference image; items without one get no value."""

    requires: ClassVar[tuple[str, ...]] = ("image", "reference_image")
    reference: ClassVar[str] = "torchmetrics"
    pair_function: ClassVar[Callable[[torch.Tensor, torch.Tensor], float]]

    def score_item(
        self, image: Image, reference_image: Image | None = None, **_: Any
    ) -> dict[str, float]:
        if reference_image is None:
            return {}
        x, y = _pair(image, reference_image)
        return {self.outputs[0].name: type(self).pair_function(x, y)}


class SSIM(_ImagePairMetric):
    """Structural similarity of the recovered image to the target's reference image."""

    name: ClassVar[str] = "ssim"
    description: ClassVar[str] = "SSIM of the recovered image vs the reference image"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("ssim", True, (-1.0, 1.0), "mean SSIM over channels and pixels"),
    )

    def settings(self) -> dict[str, Any]:
        return {
            "window": f"gaussian{WINDOW}",
            "sigma": SIGMA,
            "k1": K1,
            "k2": K2,
            "data_range": DATA_RANGE,
            "pad": "reflect",
            "dtype": "float64",
        }

    pair_function = staticmethod(ssim)


class PSNR(_ImagePairMetric):
    """Peak signal-to-noise ratio (dB) of the recovered image against the reference image."""

    name: ClassVar[str] = "psnr"
    version: ClassVar[str] = "2"  # 2: identical images score +inf (1 refused them)
    description: ClassVar[str] = "PSNR (dB) of the recovered image vs the reference image"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("psnr_db", True, (0.0, math.inf), "10 log10(1 / MSE), pixels in [0, 1]"),
    )

    def settings(self) -> dict[str, Any]:
        return {"data_range": DATA_RANGE, "base": 10, "dtype": "float64", "shape": "must-match"}

    pair_function = staticmethod(psnr)
