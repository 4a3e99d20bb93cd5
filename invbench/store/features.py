"""Feature arrays in records: base64 of little-endian float32 (compact, exact for float32 data).

Set-level metrics (FID, KID) are computed by the leaderboard from features stored with each
item and with the task's reference pool, so a run folder alone rebuilds them.
"""

from __future__ import annotations

import base64

import numpy as np


def encode_features(features: np.ndarray) -> str:
    """A feature array as base64 of little-endian float32."""
    return base64.b64encode(np.asarray(features, dtype="<f4").tobytes()).decode("ascii")


def decode_features(text: str, dim: int | None = None) -> np.ndarray:
    """Inverse of :func:`encode_features`, as float64 (``(N, dim)`` when ``dim`` is given)."""
    flat = np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float64)
    return flat.reshape(-1, dim) if dim else flat
