"""Reading weight files with a one-line error naming the file and what was expected.

A truncated download, a half-copied checkpoint or a file in another format makes safetensors
(or a weights-only ``torch.load``) raise deep inside a loader; here that becomes an
:class:`InvbenchError` naming the file. The caller supplies the remedy: only files invbench
built or cached itself may be rebuilt or fetched again; a user's own checkpoint never is.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import torch

from invbench.contracts.errors import InvbenchError

T = TypeVar("T")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def unreadable_safetensors(path: Path, exc: BaseException, remedy: str = "") -> InvbenchError:
    """The error for a safetensors file that cannot be read."""
    tail = f"; {remedy}" if remedy else ""
    return InvbenchError(f"{path} is not a complete safetensors file ({_reason(exc)}); expected "
                         f"a header and tensors as safetensors writes them (truncated or another "
                         f"format?){tail}")


def check_safetensors(path: str | Path, remedy: str = "") -> None:
    """Read ``path``'s header and tensor table (nothing is loaded): a one-line error if it is
    truncated, has a bad header or is not safetensors at all."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            handle.keys()
    except Exception as exc:  # SafetensorError, or an OSError-free parse failure of any kind
        if isinstance(exc, OSError):
            raise
        raise unreadable_safetensors(Path(path), exc, remedy) from None


def load_safetensors(path: str | Path, remedy: str = "") -> dict[str, torch.Tensor]:
    """``safetensors.torch.load_file(path)`` with the one-line error above."""
    from safetensors.torch import load_file

    check_safetensors(path, remedy)
    try:
        return load_file(str(path))
    except Exception as exc:
        if isinstance(exc, OSError):
            raise
        raise unreadable_safetensors(Path(path), exc, remedy) from None


def check_checkpoint_folder(folder: str | Path, remedy: str = "") -> None:
    """Every ``*.safetensors`` file in a local checkpoint folder has a readable header."""
    for path in sorted(Path(folder).glob("*.safetensors")):
        check_safetensors(path, remedy)


def refused_pickle(folder: str | Path, exc: BaseException) -> InvbenchError:
    """The error for a pickled checkpoint that a weights-only load refused (or cannot read)."""
    pickles = sorted(p.name for p in Path(folder).glob("*.bin")) if Path(folder).is_dir() else []
    what = f"{Path(folder) / pickles[0]}" if pickles else str(folder)
    found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
    why = f"it pickles {found.group(1)}, not only tensors" if found else "unreadable pickle"
    return InvbenchError(f"{what} is a pickled checkpoint that a weights-only load refuses "
                         f"({why}); expected safetensors (model.safetensors, as "
                         "save_pretrained writes it) or a pickle holding only tensors")


def redownload_remedy(repo_id: str) -> str:
    """The remedy for a damaged file in the Hugging Face cache: a download, not the user's own
    file (``invbench prefetch`` alone keeps a cached copy, so the download is forced)."""
    return f"it is a download in the Hugging Face cache: fetch it again with `hf download " \
           f"{repo_id} --force-download`"


def hub_snapshot(repo_id: str, filename: str, revision: str | None = None) -> Path | None:
    """The cached snapshot folder that holds ``filename`` of ``repo_id``, offline; None if it
    is not cached (or ``repo_id`` is not a hub id)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, filename, revision=revision)
    except Exception:  # not a valid hub id (a local path), or a cache it cannot read
        return None
    return Path(found).parent if isinstance(found, str) else None


def damaged_checkpoint(where: str | Path | None, exc: BaseException,
                       remedy: str = "") -> InvbenchError | None:
    """Why a loader that raised ``exc`` on the checkpoint at ``where`` failed, as one line naming
    the file: a pickle a weights-only load refused, or the first ``*.safetensors`` file (searched
    through the folder and its subfolders) that cannot be read. None when neither explains it,
    so the caller keeps its own message."""
    if where is None:
        return None
    where = Path(where).expanduser()
    if isinstance(exc, pickle.UnpicklingError):
        found = [p for s in ("*.bin", "*.pt", "*.pth") for p in sorted(where.glob(s))] \
            if where.is_dir() else []
        return refused_pickle(found[0] if len(found) == 1 else where, exc)
    if where.is_dir():
        files = sorted(where.rglob("*.safetensors"))
    else:
        files = [where] if where.suffix == ".safetensors" else []
    for path in files:
        try:
            check_safetensors(path, remedy)
        except InvbenchError as err:
            return err
        except OSError:  # a dangling cache link: not what this looks for
            continue
    return None


def guarded_load(load: Callable[[], T], where: str | Path | None, remedy: str = "") -> T:
    """``load()``; a failure that a damaged or refused file under ``where`` explains becomes
    that one line (:func:`damaged_checkpoint`), any other is raised as it was."""
    try:
        return load()
    except Exception as exc:
        damaged = damaged_checkpoint(where, exc, remedy)
        if damaged is not None:
            raise damaged from None
        raise
