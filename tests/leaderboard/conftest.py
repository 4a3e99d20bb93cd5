"""Synthetic run records for the leaderboard tests (the record format of docs/runs.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

SHA = "a" * 64
OUTPUTS = {
    "wer": {"signature": "wer|norm:whisper-english|version:1", "higher_is_better": False,
            "range": [0, None]},
    "exact_match": {"signature": "exact_match|norm:whisper-english|version:1",
                    "higher_is_better": True, "range": [0, 1]},
    "dnsmos_ovrl": {"signature": "dnsmos|model:sig_bak_ovr|version:1", "higher_is_better": True,
                    "range": [1, 5]},
    "snr": {"signature": "snr|version:1", "higher_is_better": True, "range": [None, None]},
}  # fmt: skip
MAIN = {"alignment": "exact_match", "quality": "dnsmos_ovrl"}


def make_record_fn(
    target_id: str = "t000",
    seed: int = 0,
    *,
    task: str = "asr/mini",
    task_version: int = 1,
    inverter: str = "waveform-adam",
    config_hash: str = "1a2b3c4d5e6f",
    status: str = "ok",
    scores: dict[str, float] | None = None,
    outputs: dict[str, dict[str, Any]] | None = None,
    main_scores: dict[str, str] | None = None,
    target_set_sha256: str = SHA,
    cost: dict[str, float] | None = None,
    time: str = "2026-11-23T23:00:00+00:00",
) -> dict[str, Any]:
    """One record; ``scores`` only matter for ``ok`` items, as in a real run."""
    ok = status == "ok"
    return {
        "schema": 1,
        "run_id": "mini",
        "key": f"{task}@{task_version}|{inverter}|{config_hash}|{target_id}|{seed}",
        "task": task,
        "task_version": task_version,
        "family": task.split("/")[0],
        "suite": "mini",
        "target_set": "transcripts-mini@1",
        "target_set_sha256": target_set_sha256,
        "inverter": inverter,
        "inverter_version": "1",
        "inverter_config_hash": config_hash,
        "inverter_config": {"steps": 100},
        "oracle": False,
        "target_id": target_id,
        "seed": seed,
        "status": status,
        "message": None if ok else f"{status}: synthetic failure",
        "scores": (scores if scores is not None else {"exact_match": 1.0}) if ok else {},
        "metric_errors": {},
        "outputs": outputs if outputs is not None else OUTPUTS,
        "main_scores": main_scores if main_scores is not None else MAIN,
        "cost": cost or {"seconds": 1.0, "forward_calls": 11, "backward_calls": 10, "steps": 10},
        "artifacts": {},
        "time": time,
    }


def make_run_fn(
    scores: Sequence[dict[str, float]], *, seeds: Sequence[int] = (0,), **kwargs: Any
) -> list[dict[str, Any]]:
    """Records for targets t000, t001, ... with the given per-target scores, for each seed."""
    return [
        make_record_fn(f"t{i:03d}", seed, scores=dict(item), **kwargs)
        for i, item in enumerate(scores)
        for seed in seeds
    ]


@pytest.fixture
def make_record() -> Callable[..., dict[str, Any]]:
    return make_record_fn


@pytest.fixture
def make_run() -> Callable[..., list[dict[str, Any]]]:
    return make_run_fn
