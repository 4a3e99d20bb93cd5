"""The kinds of asset a model, judge or task can need, each able to say offline whether it is
present (``check``) and, where that is possible, to fetch itself online (``fetch``, returning the
lockfile entry: the exact revision and the sha256 of every file).

A model declares its assets with a static ``assets(**options)`` method taking the same options as
its constructor, so ``doctor`` knows what a task needs without loading anything.
"""

from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.fs.atomic import sha256_file

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf")


@dataclass(frozen=True)
class AssetStatus:
    present: bool
    detail: str  # where it was found, or what is missing and how to get it


@dataclass(frozen=True)
class Asset(ABC):
    """One thing a suite needs. ``required=False`` marks a judge backend whose absence skips
    its metrics (with the reason recorded) instead of stopping the run."""

    purpose: str = field(default="", compare=False)
    required: bool = field(default=True, compare=False)

    @property
    @abstractmethod
    def key(self) -> str:
        """A stable name, e.g. ``hf:Salesforce/blip-image-captioning-large``."""

    @abstractmethod
    def check(self, verify: bool = False) -> AssetStatus:
        """Offline: is it there? ``verify`` also re-hashes files that carry a known sha256."""

    def fetch(self) -> dict[str, Any]:
        """Online: download it and return its lockfile entry."""
        raise InvbenchError(f"{self.key} cannot be downloaded: {self.check().detail}")


def _hash_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256_file(p)
            for p in sorted(root.rglob("*")) if p.is_file() and ".cache" not in p.parts}


@dataclass(frozen=True)
class HubRepo(Asset):
    """A Hugging Face hub repository (or a local folder holding a saved model).

    ``allow_patterns`` limits what is downloaded (e.g. only the safetensors variant)."""

    repo_id: str = ""
    revision: str | None = None
    allow_patterns: tuple[str, ...] | None = None

    @property
    def key(self) -> str:
        return f"hf:{self.repo_id}" + (f"@{self.revision}" if self.revision else "")

    def _local_dir(self) -> Path | None:
        path = Path(self.repo_id).expanduser()
        return path if path.is_dir() else None

    def check(self, verify: bool = False) -> AssetStatus:
        local = self._local_dir()
        if local is not None:
            return AssetStatus(True, f"local folder {local}")
        from huggingface_hub import snapshot_download

        try:
            folder = Path(snapshot_download(
                self.repo_id, revision=self.revision, local_files_only=True,
                allow_patterns=list(self.allow_patterns) if self.allow_patterns else None))
        except Exception:  # LocalEntryNotFoundError and friends: not in the cache
            return AssetStatus(False, f"not in the Hugging Face cache "
                               f"({_hub_cache()}); run `invbench prefetch` online")
        weights = [p for p in folder.rglob("*") if p.suffix in WEIGHT_SUFFIXES]
        if not weights:
            return AssetStatus(False, f"{folder} holds no weight files; run `invbench prefetch`")
        return AssetStatus(True, f"{folder} ({len(weights)} weight files)")

    def fetch(self) -> dict[str, Any]:
        local = self._local_dir()
        if local is not None:
            return {"kind": "local-folder", "path": str(local), "files": _hash_tree(local)}
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(
            self.repo_id, revision=self.revision,
            allow_patterns=list(self.allow_patterns) if self.allow_patterns else None))
        return {"kind": "huggingface", "repo_id": self.repo_id, "revision": folder.name,
                "files": _hash_tree(folder)}


def _hub_cache() -> str:
    from huggingface_hub.constants import HF_HUB_CACHE

    return str(HF_HUB_CACHE)


@dataclass(frozen=True)
class UrlFile(Asset):
    """A single weights file fetched from a URL into ``path`` (e.g. torch hub checkpoints)."""

    url: str = ""
    path: str = ""
    sha256: str | None = None

    @property
    def key(self) -> str:
        return f"file:{Path(self.path).name}"

    def check(self, verify: bool = False) -> AssetStatus:
        path = Path(self.path).expanduser()
        if not path.is_file():
            return AssetStatus(False, f"{path} is missing; run `invbench prefetch` online "
                               f"(from {self.url})")
        if verify and self.sha256 and sha256_file(path) != self.sha256:
            return AssetStatus(False, f"{path} has the wrong sha256 (expected "
                               f"{self.sha256[:12]}…); delete it and prefetch again")
        return AssetStatus(True, str(path))

    def fetch(self) -> dict[str, Any]:
        import torch.hub

        path = Path(self.path).expanduser()
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(self.url, str(path), progress=True)
        digest = sha256_file(path)
        if self.sha256 and digest != self.sha256:
            raise InvbenchError(f"{path} downloaded from {self.url} has sha256 {digest[:12]}…, "
                                f"expected {self.sha256[:12]}…")
        return {"kind": "url", "url": self.url, "path": str(path), "sha256": digest}


def whisper_root() -> Path:
    """Where openai-whisper keeps downloaded checkpoints (its own default)."""
    default = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(os.getenv("XDG_CACHE_HOME", default)) / "whisper"


@dataclass(frozen=True)
class WhisperCheckpoint(Asset):
    """An official openai-whisper checkpoint (downloaded to whisper's cache), or a file path."""

    name: str = ""

    @property
    def key(self) -> str:
        return f"whisper:{self.name}"

    def _url_and_path(self) -> tuple[str | None, Path]:
        if Path(self.name).expanduser().is_file():
            return None, Path(self.name).expanduser()
        import whisper

        url = whisper._MODELS.get(self.name)
        if url is None:
            raise InvbenchError(f"unknown Whisper model {self.name!r}; known: "
                                f"{', '.join(whisper.available_models())}, or a checkpoint path")
        return url, whisper_root() / os.path.basename(url)

    def check(self, verify: bool = False) -> AssetStatus:
        url, path = self._url_and_path()
        if not path.is_file():
            return AssetStatus(False, f"{path} is missing; run `invbench prefetch` online")
        expected = url.split("/")[-2] if url else None
        if verify and expected and sha256_file(path) != expected:
            return AssetStatus(False, f"{path} has the wrong sha256; delete it and prefetch")
        return AssetStatus(True, str(path))

    def fetch(self) -> dict[str, Any]:
        import whisper

        url, path = self._url_and_path()
        if url is not None:
            whisper._download(url, str(path.parent), False)  # checks the sha256 in the URL
        return {"kind": "whisper", "name": self.name, "path": str(path),
                "sha256": sha256_file(path)}


@dataclass(frozen=True)
class PythonPackage(Asset):
    """An importable module that is deliberately not a dependency (an extra or a backend)."""

    module: str = ""
    install: str = ""  # the command that installs it

    @property
    def key(self) -> str:
        return f"python:{self.module}"

    def check(self, verify: bool = False) -> AssetStatus:
        try:
            importlib.import_module(self.module)
        except Exception as exc:  # ImportError, or a broken install (torchvision on CPU torch)
            reason = "not installed" if isinstance(exc, ModuleNotFoundError) else \
                f"fails to import ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
            return AssetStatus(False, f"module {self.module!r} {reason}; install: {self.install}")
        return AssetStatus(True, f"module {self.module!r} imports")


@dataclass(frozen=True)
class PreparedTargetSet(Asset):
    """A target set rendered on the user's machine by ``invbench prepare`` (not downloadable)."""

    name: str = ""
    version: int = 1
    search_dirs: tuple[str, ...] = ()
    command: str = "invbench prepare"

    @property
    def key(self) -> str:
        return f"targets:{self.name}@{self.version}"

    def check(self, verify: bool = False) -> AssetStatus:
        for folder in self.search_dirs:
            if (Path(folder) / self.name / "manifest.json").is_file():
                return AssetStatus(True, str(Path(folder) / self.name))
        return AssetStatus(False, f"not prepared yet (looked in {', '.join(self.search_dirs)});"
                           f" make it on a GPU with `{self.command}`")


JUDGES_INSTALL = "pip install 'invbench[judges]'"


def judges_extra(purpose: str, module: str, weights: Asset) -> list[Asset]:
    """What a judge from the optional ``judges`` extra needs, all optional (its metrics are
    skipped without them): its package, torchvision (which every one of them imports), and its
    weights."""
    return [PythonPackage(purpose=purpose, required=False, module=module, install=JUDGES_INSTALL),
            PythonPackage(purpose=purpose, required=False, module="torchvision",
                          install=JUDGES_INSTALL),
            replace(weights, purpose=purpose, required=False)]
