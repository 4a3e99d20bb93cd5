"""``invbench targets freeze``: a folder becomes a pinned set that the loader accepts as is."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from invbench.cli.main import main
from invbench.contracts.errors import TargetSetError
from invbench.contracts.task_spec import TargetSetRef
from invbench.fs.shipped import resource_dir
from invbench.targets.freeze import freeze_target_set
from invbench.targets.manifest_writer import check_manifest
from invbench.targets.target_set import load_target_set

SHIPPED = resource_dir("data") / "targets"


def write_set(root: Path, rows: list[dict], rate: int = 8000) -> Path:
    """A folder ``root`` with ``targets.jsonl`` and a short tone per row's hidden audio."""
    root.mkdir(parents=True)
    for k, row in enumerate(rows):
        audio = row.get("hidden", {}).get("audio")
        if audio:
            (root / audio).parent.mkdir(parents=True, exist_ok=True)
            tone = 0.3 * np.sin(np.arange(rate // 4) * (k + 1) * 0.05)
            soundfile.write(root / audio, tone, rate, "PCM_16")
    (root / "targets.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


ROWS = [
    {"id": "a1", "target": {"text": "bad cafe"}, "hidden": {"audio": "audio/a1.wav"},
     "metadata": {"letters": 8}},
    {"id": "a2", "target": {"text": "each bee"}, "hidden": {"audio": "audio/a2.wav"},
     "metadata": {"letters": 8}},
]


def independent_hash(root: Path) -> str:
    """The content hash recomputed here from the files on disk, without invbench's helpers
    (hidden files such as ``.DS_Store`` are not part of a set)."""
    lines = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "manifest.json"
                       and not p.name.startswith(".")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{path.relative_to(root).as_posix()}\t{digest}\n")
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


def run_cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code


def test_freeze_writes_a_manifest_the_loader_accepts(tmp_path, capsys):
    root = write_set(tmp_path / "words", ROWS)
    code = run_cli("targets", "freeze", str(root), "--version", "1", "--description",
                   "two phrases", "--licence", "CC0-1.0")
    out = capsys.readouterr().out
    assert code == 0
    printed = re.search(r"content_sha256: ([0-9a-f]{64})", out).group(1)
    assert printed == independent_hash(root)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["content_sha256"] == printed
    assert set(manifest["files"]) == {"targets.jsonl", "audio/a1.wav", "audio/a2.wav"}
    assert (manifest["name"], manifest["version"], manifest["count"]) == ("words", 1, 2)
    assert manifest["sample_rate"] == 8000 and manifest["licence"] == "CC0-1.0"
    loaded = load_target_set(TargetSetRef(name="words", version=1, content_sha256=printed),
                             [tmp_path])
    assert [item.id for item in loaded.items] == ["a1", "a2"]
    assert loaded.items[0].hidden["audio"].sample_rate == 8000
    assert "targets:\n  name: words\n  version: 1\n" in out


def test_refreezing_keeps_user_fields_and_tracks_changes(tmp_path):
    root = write_set(tmp_path / "words", ROWS)
    first = freeze_target_set(root, version=1, description="two phrases")
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["how_made"] = {"command": "python make_words.py"}
    (root / "manifest.json").write_text(json.dumps(manifest))
    assert freeze_target_set(root).content_sha256 == first.content_sha256  # manifest not hashed
    assert json.loads((root / "manifest.json").read_text())["how_made"]["command"]
    (root / "notes.txt").write_text("how the phrases were chosen\n")
    (root / ".DS_Store").write_bytes(b"\0")  # hidden files are not part of a set
    second = freeze_target_set(root)
    assert second.content_sha256 != first.content_sha256 and second.files == 4
    assert second.content_sha256 == independent_hash(root)


@pytest.mark.parametrize("name", ["transcripts-mini", "captions-mini", "images-mini",
                                  "clips-mini", "captions-paper", "sentences-paper"])
def test_shipped_sets_refreeze_to_their_own_manifests(tmp_path, name):
    copy = shutil.copytree(SHIPPED / name, tmp_path / name)
    before = (copy / "manifest.json").read_bytes()
    frozen = freeze_target_set(copy)
    assert frozen.content_sha256 == json.loads(before)["content_sha256"]
    assert (copy / "manifest.json").read_bytes() == before  # byte for byte: layout and order
    assert check_manifest(copy) == []  # the one writer's layout


def test_a_refreeze_keeps_the_manifest_layout_and_validates_it(tmp_path):
    root = write_set(tmp_path / "words", ROWS)
    freeze_target_set(root, version=1, description="two phrases")
    manifest = json.loads((root / "manifest.json").read_text())
    files = dict(reversed(manifest["files"].items()))  # an order freeze would not choose
    (root / "manifest.json").write_text(json.dumps(
        {**{k: v for k, v in manifest.items() if k != "files"}, "files": files,
         "how_made": {"command": "python make_words.py"}}))
    (root / "extra.txt").write_text("a new file\n")
    freeze_target_set(root)
    again = json.loads((root / "manifest.json").read_text())
    assert list(again)[-3:] == ["files", "content_sha256", "how_made"]  # kept after the files
    assert list(again["files"]) == [*files, "extra.txt"]  # old order kept, new file appended
    bad = json.dumps({**again, "made_by": "a string"}).encode()
    (root / "manifest.json").write_bytes(bad)
    with pytest.raises(TargetSetError, match=r"manifest.json: field 'made_by': expected an obj"):
        freeze_target_set(root)
    assert (root / "manifest.json").read_bytes() == bad  # an invalid manifest is never written


def _stereo(root: Path) -> None:
    soundfile.write(root / "audio" / "a2.wav", np.zeros((800, 2)), 8000, "PCM_16")


def _other_rate(root: Path) -> None:
    soundfile.write(root / "audio" / "a2.wav", np.zeros(800), 16000, "PCM_16")


def _edit_lines(edit):
    def apply(root: Path) -> None:
        path = root / "targets.jsonl"
        path.write_text(edit(path.read_text()))
    return apply


BAD = {
    "no targets file": (lambda r: (r / "targets.jsonl").unlink(), "no targets.jsonl"),
    "bad json": (_edit_lines(lambda t: t + "{oops\n"), "targets.jsonl line 3: not valid JSON"),
    "repeated id": (_edit_lines(lambda t: t.replace('"a2"', '"a1"')),
                    "line 2: id 'a1' repeats line 1"),
    "unsafe id": (_edit_lines(lambda t: t.replace('"a2"', '"../a2"')), "line 2: 'id' must"),
    "missing target": (_edit_lines(lambda t: t.replace('"target"', '"tagret"', 1)),
                       "line 1: 'target' must be a non-empty object"),
    "missing media": (lambda r: (r / "audio" / "a2.wav").unlink(), "a2.wav is missing"),
    "media outside": (_edit_lines(lambda t: t.replace("audio/a2.wav", "../a2.wav")),
                      "must be a path inside the set's folder"),
    "stereo audio": (_stereo, "a2.wav: 2 channels, expected mono"),
    "mixed rates": (_other_rate, "a2.wav: sample rate 16000"),
    "rows that do not form a table": (
        _edit_lines(lambda t: t.replace('"letters": 8}', '"letters": "eight"}', 1)),
        "the rows do not load as one table"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_folder_is_one_line_naming_the_file(tmp_path, capsys, case):
    root = write_set(tmp_path / "words", ROWS)
    freeze_target_set(root, version=1, description="two phrases")
    good = (root / "manifest.json").read_bytes()
    spoil, expected = BAD[case]
    spoil(root)
    code = run_cli("targets", "freeze", str(root))
    err = capsys.readouterr().err
    assert code == 2 and expected in err, err
    assert err.startswith("invbench: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert (root / "manifest.json").read_bytes() == good  # a failed freeze changes nothing


def test_identity_is_checked_before_anything_is_written(tmp_path):
    root = write_set(tmp_path / "words", ROWS)
    with pytest.raises(TargetSetError, match="no valid 'version'"):
        freeze_target_set(root, description="x")
    with pytest.raises(TargetSetError, match="no 'description'"):
        freeze_target_set(root, version=1)
    with pytest.raises(TargetSetError, match="must be named after the set"):
        freeze_target_set(root, name="phrases", version=1, description="x")
    with pytest.raises(TargetSetError, match="does not exist"):
        freeze_target_set(tmp_path / "nowhere", version=1, description="x")
    assert not (root / "manifest.json").exists()


def test_the_media_format_is_read_from_the_files_not_the_old_manifest(tmp_path):
    root = write_set(tmp_path / "words", ROWS)
    assert freeze_target_set(root, version=1, description="x").files == 3
    for row in ROWS:  # re-rendered at another rate: the refrozen manifest says so
        soundfile.write(root / row["hidden"]["audio"], np.zeros(4000), 16000, "PCM_16")
    freeze_target_set(root)
    assert json.loads((root / "manifest.json").read_text())["sample_rate"] == 16000
