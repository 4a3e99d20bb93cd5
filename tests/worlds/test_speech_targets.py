"""Tests for the committed ``transcripts-mini`` target set and the script that builds it.

They guard the target-set format (docs/extend/target-set.md): the manifest's hashes describe
the files on disk, every clip is valid 16 kHz mono audio, and the renders can be reproduced byte
for byte.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from invbench.targets.builders import transcripts_mini as st
from invbench.targets.target_set import content_sha256

SET_DIR = Path(__file__).resolve().parents[2] / "data" / "targets" / "transcripts-mini"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((SET_DIR / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def records() -> list[dict]:
    lines = (SET_DIR / "targets.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_sentences_are_short_unique_and_digit_free() -> None:
    assert len(st.SENTENCES) >= 48
    assert len(set(st.SENTENCES)) == len(st.SENTENCES)
    for text in st.SENTENCES:
        assert 3 <= len(text.split()) <= 12, text
        assert not re.search(r"\d", text), text
        assert re.fullmatch(r"[A-Za-z ]+\.?", text), f"unexpected punctuation in {text!r}"


def test_targets_match_sentences(manifest: dict, records: list[dict]) -> None:
    assert manifest["name"] == "transcripts-mini"
    assert manifest["count"] == len(records) == len(st.SENTENCES)
    for index, (record, text) in enumerate(zip(records, st.SENTENCES, strict=True)):
        assert list(record) == ["id", "target", "hidden", "metadata"]
        assert record["id"] == f"t{index:03d}"
        assert record["target"] == {"text": text}
        assert record["hidden"] == {"audio": f"audio/{record['id']}.wav"}
        assert record["metadata"]["words"] == len(text.split())


def test_manifest_hashes_match_files(manifest: dict) -> None:
    files = manifest["files"]
    on_disk = {"targets.jsonl"} | {
        p.relative_to(SET_DIR).as_posix() for p in (SET_DIR / "audio").glob("*.wav")
    }
    assert set(files) == on_disk
    for rel, sha in files.items():
        assert hashlib.sha256((SET_DIR / rel).read_bytes()).hexdigest() == sha, rel
    assert content_sha256(files) == manifest["content_sha256"]


def test_content_hash_ignores_key_order() -> None:
    files = {"b": "2", "a": "1"}
    expected = hashlib.sha256(b"a\t1\nb\t2\n").hexdigest()
    assert content_sha256(files) == content_sha256(dict(sorted(files.items()))) == expected


def test_wavs_are_valid_16k_mono(manifest: dict, records: list[dict]) -> None:
    assert manifest["sample_rate"] == 16000
    for record in records:
        path = SET_DIR / record["hidden"]["audio"]
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16"), path
        x, _ = sf.read(path, dtype="float32")
        assert np.isfinite(x).all() and np.abs(x).max() <= 1.0, path
        assert record["metadata"]["seconds"] == round(x.size / 16000, 3), path


def test_rerender_is_byte_identical(manifest: dict, tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed, so the renders cannot be reproduced here")
    recorded = manifest["how_made"]["espeak_ng_version"]
    if st.espeak_version() != recorded:
        pytest.skip(f"renders are byte-stable only on {recorded!r}, found {st.espeak_version()!r}")
    for index, text in enumerate(st.SENTENCES[:2]):
        name = f"t{index:03d}.wav"
        st.render_to_wav(text, tmp_path / name)
        assert (tmp_path / name).read_bytes() == (SET_DIR / "audio" / name).read_bytes(), name
