"""Tests for the ``captions-paper`` and ``sentences-paper`` text sets and the script that builds
them: the texts meet their written rules, and the committed files are exactly what
``python -m invbench.targets.builders.paper_texts`` writes and load as pinned target sets."""

from __future__ import annotations

import itertools
import json
import re
import string
from pathlib import Path

import pytest

from invbench.contracts.task_spec import TargetSetRef
from invbench.targets.builders import paper_texts as pt
from invbench.targets.target_set import load_target_set

TARGETS_DIR = Path(__file__).resolve().parents[2] / "data" / "targets"


def _normalised(text: str) -> str:
    """Lowercase, punctuation removed, whitespace collapsed."""
    stripped = text.lower().translate(str.maketrans("", "", string.punctuation))
    return " ".join(stripped.split())


@pytest.mark.parametrize("texts", [pt.CAPTIONS, pt.SENTENCES], ids=["captions", "sentences"])
def test_texts_are_many_unique_and_distinct(texts: tuple[str, ...]) -> None:
    assert len(texts) == 120
    assert len({t.lower() for t in texts}) == len(texts)
    assert len({_normalised(t) for t in texts}) == len(texts)
    for text in texts:
        assert text.isascii() and text == text.strip() and "  " not in text, repr(text)
    # no near-duplicates: no two texts share more than half of their distinct words
    words = [set(_normalised(t).split()) for t in texts]
    for (i, a), (j, b) in itertools.combinations(enumerate(words), 2):
        assert len(a & b) / len(a | b) <= 0.5, (texts[i], texts[j])


def test_captions_follow_captioner_style() -> None:
    for caption in pt.CAPTIONS:
        assert 6 <= len(caption.split()) <= 16, caption
        assert re.fullmatch(r"[a-z][a-z' ]*[a-z]", caption), f"not a plain caption: {caption!r}"


def test_sentences_are_speakable() -> None:
    for sentence in pt.SENTENCES:
        assert 5 <= len(sentence.split()) <= 18, sentence
        assert not re.search(r"\d", sentence), sentence
        assert sentence[0].isupper(), sentence
        assert sentence[-1] in ".?!", sentence
        assert re.fullmatch(r"[A-Za-z][A-Za-z ',]*[.?!]", sentence), sentence


def test_sentences_fit_whisper_context() -> None:
    from whisper.tokenizer import get_tokenizer

    tokenizer = get_tokenizer(multilingual=True, num_languages=100)
    for sentence in pt.SENTENCES:
        assert len(tokenizer.encode(" " + sentence)) < 100, sentence


def test_verify_passes_on_committed_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert pt.main(["--verify", "--root", str(TARGETS_DIR)]) == 0
    assert "all files match" in capsys.readouterr().out


def test_verify_names_a_differing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pt.main(["--root", str(tmp_path)]) == 0
    assert pt.main(["--verify", "--root", str(tmp_path)]) == 0
    path = tmp_path / "sentences-paper" / "targets.jsonl"
    path.write_text(path.read_text().replace("sen-000", "sen-999"))
    capsys.readouterr()
    assert pt.main(["--verify", "--root", str(tmp_path)]) == 1
    assert str(path) in capsys.readouterr().out


@pytest.mark.parametrize(("name", "texts", "prefix"), [
    ("captions-paper", pt.CAPTIONS, "cap"), ("sentences-paper", pt.SENTENCES, "sen"),
])
def test_sets_load_as_pinned(name: str, texts: tuple[str, ...], prefix: str) -> None:
    manifest = json.loads((TARGETS_DIR / name / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["licence"] == "CC0-1.0 (written for invbench)"
    ref = TargetSetRef(name=name, version=1, content_sha256=manifest["content_sha256"])
    loaded = load_target_set(ref, [TARGETS_DIR])
    assert loaded.manifest.count == len(loaded.items) == len(texts)
    for i, (item, text) in enumerate(zip(loaded.items, texts, strict=True)):
        assert item.id == f"{prefix}-{i:03d}"
        assert item.target == {"text": text}
        assert item.hidden == {}
        assert item.metadata == {"words": len(text.split())}
