"""The stamp on every manifest invbench writes: when (UTC) and with which library versions.

Run manifests, prepared target sets and asset lockfiles all carry it, so it sits below them all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

LIBRARIES = (
    "invbench", "torch", "numpy", "openai-whisper", "jiwer", "sacrebleu", "pesq", "pystoi",
    "speechmos", "onnxruntime", "torchmetrics", "librosa", "datasets", "pandas",
    "transformers", "diffusers", "accelerate", "huggingface-hub", "chatterbox-tts",
    "open_clip_torch", "lpips", "torch-fidelity", "torchvision",
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions
