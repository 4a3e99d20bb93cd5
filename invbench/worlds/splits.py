"""The train/validation/test split of a text, fixed by a hash of the text (80/10/10).

Both worlds split this way (Shapes captions, speech-world sentences): a text's split depends on
nothing but its bytes, so no model is trained on a text a target set holds out, whatever order
or seed the texts were drawn in.
"""

from __future__ import annotations

import hashlib

SPLITS = ("train", "validation", "test")


def hash_split(text: str) -> str:
    """``train``, ``validation`` or ``test``: the first 32 bits of ``sha256(text)`` mod 10, with
    buckets 0–7 for train, 8 for validation and 9 for test."""
    bucket = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 10
    return "train" if bucket < 8 else ("validation" if bucket == 8 else "test")
