"""Judge fixtures for the paper lane: random-weight judge files planted once per session
(:mod:`judge_weights`), and a per-test view of them with every cache pointed there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from judge_weights import JudgeWeights, build_judge_weights, tiny_vit_l_14_config


@pytest.fixture(scope="session")
def judge_weights(tmp_path_factory: pytest.TempPathFactory) -> JudgeWeights:
    """The three judges' planted weight files (built once: about 100 MB, a few seconds)."""
    return build_judge_weights(tmp_path_factory.mktemp("judge-weights"))


def _clear_judge_caches() -> None:
    """The adapters keep one instance per device: a test must load from its own files."""
    from invbench.metrics.lpips_distance import load_lpips
    from invbench.models.judges.inception import load_inception_judge
    from invbench.models.judges.openclip import load_openclip_judge

    for loader in (load_openclip_judge, load_inception_judge, load_lpips):
        loader.cache_clear()


@pytest.fixture
def planted_judges(judge_weights: JudgeWeights,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[JudgeWeights]:
    """Hub cache, torch hub dir and offline mode pointed at the planted files, ``ViT-L-14``
    registered as the tiny config, judge caches empty before and after."""
    import huggingface_hub.constants
    from open_clip import factory

    for name, value in judge_weights.env().items():
        monkeypatch.setenv(name, value)
    # the hub reads these module constants at call time (the env only at import)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(judge_weights.hf_cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(torch.hub, "_hub_dir", str(judge_weights.torch_home / "hub"))
    monkeypatch.setitem(factory._MODEL_CONFIGS, "ViT-L-14", tiny_vit_l_14_config())
    _clear_judge_caches()
    yield judge_weights
    _clear_judge_caches()


@pytest.fixture(scope="session")
def chatterbox_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The random-weight Chatterbox of :mod:`chatterbox_tiny`, built once per session (about
    50 s and 1.2 GB, nearly all of it the full-size S3Gen)."""
    from chatterbox_tiny import build_tiny_chatterbox

    return build_tiny_chatterbox(tmp_path_factory.mktemp("tiny-chatterbox"))
