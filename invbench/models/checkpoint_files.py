"""Reading weight files with a one-line error naming the file and what was expected.

A truncated download, a half-copied checkpoint or a file in another format makes safetensors
(or a weights-only ``torch.load``) raise deep inside a loader; here that becomes an
:class:`InvbenchError` naming the file. The caller supplies the remedy: only files invbench
built or cached itself may be rebuilt or fetched again; a user's own checkpoint never is.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from invbench.contracts.errors import InvbenchError


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
