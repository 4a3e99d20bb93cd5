"""What ``invbench evaluate`` checks about its own options before anything loads."""

from __future__ import annotations

from pathlib import Path

from invbench.cli.paths import check_writable_folder
from invbench.models.placement import check_device


def check_evaluate_options(out: Path | None, device: str) -> None:
    """A one-line error for an unusable ``--device`` or an unwritable ``--out``."""
    check_device(device)
    check_writable_folder(out, "--out")
