"""One sha256 that names the weights a paper-scale model loaded, cheap enough for 20 GB models.

For a hub snapshot the weight files' own sha256 are read from the cache's blob names (the hub
stores large files under their sha256), so nothing is re-hashed; files outside the hub cache
are hashed once. A model built in memory (the tests' tiny configs) is named by its state dict.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from invbench.assets.kinds import WEIGHT_SUFFIXES
from invbench.fs.atomic import sha256_file

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def file_sha256(path: Path) -> str:
    """The file's sha256, taken from its hub blob name when it is a cached symlink."""
    resolved = Path(path).resolve()
    if resolved != Path(path).absolute() and _SHA256.match(resolved.name):
        return resolved.name
    return sha256_file(resolved)


def folder_weights_sha256(folder: str | Path) -> str:
    """sha256 over ``relative path<TAB>file sha256`` lines of every weight file in ``folder``."""
    root = Path(folder)
    lines = [f"{p.relative_to(root)}\t{file_sha256(p)}\n"
             for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in WEIGHT_SUFFIXES]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def update_with_state(digest: Any, state: Mapping[str, torch.Tensor], prefix: str = "") -> None:
    """Feed ``state`` into ``digest``: sorted keys, shapes and values, floats as float32 (so a
    half-precision file and the model upcast from it hash alike: the hash names the weights)."""
    for key in sorted(state):
        tensor = state[key].detach().to("cpu")
        if tensor.is_floating_point():
            tensor = tensor.to(torch.float32)
        digest.update(f"{prefix}{key}|{tuple(tensor.shape)}|{tensor.dtype}\n".encode())
        digest.update(tensor.contiguous().numpy().tobytes())


def modules_sha256(modules: Iterable[tuple[str, torch.nn.Module]]) -> str:
    """sha256 over named modules' state dicts, for weights that exist only in memory (e.g. a
    tiny randomly initialised test model)."""
    digest = hashlib.sha256()
    for prefix, module in modules:
        update_with_state(digest, module.state_dict(), f"{prefix}.")
    return digest.hexdigest()
