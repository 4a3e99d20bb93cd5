"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from target_fixtures import build_include_path


@pytest.fixture
def include_path(tmp_path: Path) -> Path:
    """A folder with ``targets/transcripts-tiny`` (3 targets) and the task ``asr/tiny``."""
    return build_include_path(tmp_path / "include")
