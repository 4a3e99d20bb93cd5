"""Where and in which precision a paper-scale model runs, and how much memory it took.

The policy every paper model follows (docs/extend/forward-model.md): ``dtype="auto"`` is
bfloat16 on a GPU and float32 on the CPU (CPU bfloat16 matmuls are slow and lose the scores'
reproducibility); ``offload=True`` keeps weights in host memory and moves each module to the GPU
only while it runs (accelerate's model CPU offload), trading time for GPU memory. The resolved
placement is recorded in the run manifest with the model.
"""

from __future__ import annotations

import os
import re
import resource
import sys
from dataclasses import dataclass
from typing import Any

import torch

from invbench.contracts.errors import InvbenchError

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_TRUE = {"1", "true", "yes", "on"}
_DEVICE_FORMS = "cpu, cuda, cuda:N (N a GPU index) or mps"


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


def _cuda_state() -> str:
    """What torch can see, for the error message: how many GPUs, or why none."""
    if not torch.cuda.is_available():
        return f"CUDA is not available (torch {torch.__version__} sees no GPU)"
    return f"CUDA is available with {torch.cuda.device_count()} GPU(s)"


def check_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch device, or a one-line error naming the accepted forms and whether
    CUDA is available. Called before anything loads (the CLI, the model cache)."""
    text = str(device).strip()
    if not re.fullmatch(r"cpu|cuda(:\d+)?|mps", text):
        raise InvbenchError(f"device {text!r} is not one invbench runs on: use {_DEVICE_FORMS}; "
                            f"{_cuda_state()}")
    dev = torch.device(text)
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (dev.index is not None and dev.index >= count):
            raise InvbenchError(f"device {text!r} was asked for, but {_cuda_state()}")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise InvbenchError(f"device {text!r} was asked for, but torch sees no Apple MPS device")
    return dev


def resolve_placement(device: str | torch.device = "cpu", dtype: str = "auto",
                      offload: bool = False) -> Placement:
    """The placement for ``device`` under the policy above; a one-line error for bad values."""
    dev = check_device(device)
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
