"""Where and in which precision a paper-scale model runs, and how much memory it took.

The policy every paper model follows (docs/extend/forward-model.md): ``dtype="auto"`` is
bfloat16 on a GPU and float32 on the CPU (CPU bfloat16 matmuls are slow and lose the scores'
reproducibility); ``offload=True`` keeps weights in host memory and moves each module to the GPU
only while it runs (accelerate's model CPU offload), trading time for GPU memory. The resolved
placement is recorded in the run manifest with the model.
"""

from __future__ import annotations

import os
import resource
import sys
from dataclasses import dataclass
from typing import Any

import torch

from invbench.contracts.errors import InvbenchError

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_TRUE = {"1", "true", "yes", "on"}


def hub_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` forbids network access (the Hugging Face convention)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


@dataclass(frozen=True)
class Placement:
    """A resolved device, compute dtype and offload switch."""

    device: torch.device
    dtype: torch.dtype
    offload: bool = False

    def describe(self) -> dict[str, Any]:
        return {"device": str(self.device), "dtype": str(self.dtype).removeprefix("torch."),
                "cpu_offload": self.offload}


def resolve_placement(device: str | torch.device = "cpu", dtype: str = "auto",
                      offload: bool = False) -> Placement:
    """The placement for ``device`` under the policy above; a one-line error for bad values."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise InvbenchError(f"device {device!r} is not a torch device (e.g. cpu, cuda, cuda:1)") \
            from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvbenchError(f"device {device!r} was asked for, but torch sees no CUDA GPU")
    if dtype == "auto":
        resolved = torch.bfloat16 if dev.type == "cuda" else torch.float32
    elif dtype in DTYPES:
        resolved = DTYPES[dtype]
    else:
        raise InvbenchError(f"dtype {dtype!r} must be 'auto' or one of {', '.join(DTYPES)}")
    if offload and dev.type != "cuda":
        raise InvbenchError("offload=True moves modules to a GPU as they run; it needs a cuda "
                            f"device, got {device!r}")
    return Placement(dev, resolved, bool(offload))


def reset_peak_memory(device: str | torch.device) -> None:
    """Start a new peak-memory window on a GPU (host memory peaks cannot be reset)."""
    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats(dev)


def peak_memory(device: str | torch.device) -> dict[str, Any]:
    """Peak memory so far: the GPU's allocated peak since the last reset (bytes) and the
    process's peak resident host memory (bytes; never reset, so it covers the whole process)."""
    dev = torch.device(device)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    info: dict[str, Any] = {"host_peak_rss_bytes": rss if sys.platform == "darwin" else rss * 1024}
    if dev.type == "cuda" and torch.cuda.is_available():
        info["gpu_peak_allocated_bytes"] = torch.cuda.max_memory_allocated(dev)
        info["gpu_peak_reserved_bytes"] = torch.cuda.max_memory_reserved(dev)
    return info
