"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from target_fixtures import build_include_path


@pytest.fixture
def include_path(tmp_path: Path) -> Path:
    """A folder with ``targets/transcripts-tiny`` (3 targets) and the task ``asr/tiny``."""
    return build_include_path(tmp_path / "include")


@pytest.fixture
def image_include_path(tmp_path: Path) -> Path:
    """``targets/captions-tiny`` (3 targets, 8 pool renders) and the task ``captioner/tiny``."""
    from target_fixtures import build_image_include_path

    return build_image_include_path(tmp_path / "include")


@pytest.fixture
def generator_include_path(tmp_path: Path) -> Path:
    """``targets/images-tiny`` (2 generated-image targets) and the task ``generator/tiny``."""
    from target_fixtures import build_generator_include_path

    return build_generator_include_path(tmp_path / "include")


@pytest.fixture
def tts_include_path(tmp_path: Path) -> Path:
    """``targets/clips-tiny`` (2 TTS clips) and the task ``tts/tiny``."""
    from target_fixtures import build_tts_include_path

    return build_tts_include_path(tmp_path / "include")
