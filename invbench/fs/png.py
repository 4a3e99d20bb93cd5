"""The one PNG encoder: 8-bit RGB, Pillow's default compression, for every image invbench writes
(target-set renders, prepared targets, recovered-image artifacts).

One encoder keeps the bytes (and so the sha256 a target set pins) the same wherever an image is
written. Pillow is imported on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import io

import numpy as np
import torch


def png_from_array(array: np.ndarray) -> bytes:
    """The PNG of an ``(H, W, 3)`` uint8 RGB array."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array, "RGB").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def png_from_pixels(pixels: torch.Tensor) -> bytes:
    """The PNG of ``(3, H, W)`` pixels in [0, 1]: clamped, then ``round(255 x)`` (half to even)
    in the pixels' own dtype, so what it stores is exactly what 8-bit quantisation of ``x``
    gives (the Inception judge quantises the same way)."""
    x = pixels.detach().cpu().clamp(0, 1).permute(1, 2, 0).numpy()
    return png_from_array(np.rint(x * 255).astype(np.uint8))
