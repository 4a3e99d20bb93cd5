"""`invbench targets build`: one command and one manifest writer for every shipped target set."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from invbench.cli.main import main
from invbench.targets.builders.catalog import BUILDERS
from invbench.targets.manifest_writer import check_manifest, manifest_bytes, write_manifest

ROOT = Path(__file__).resolve().parents[2]
TARGETS_DIR = ROOT / "data" / "targets"


def _run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_every_shipped_set_has_a_builder_that_its_manifest_names() -> None:
    shipped = sorted(p.name for p in TARGETS_DIR.iterdir() if (p / "manifest.json").is_file())
    assert BUILDERS.names() == shipped
    for name in shipped:
        manifest = json.loads((TARGETS_DIR / name / "manifest.json").read_text())
        made = manifest.get("made_by") or manifest["how_made"]
        assert made["command"].startswith(f"invbench targets build {name}"), name


@pytest.mark.parametrize("name", sorted(p.name for p in TARGETS_DIR.iterdir()))
def test_committed_manifests_are_what_the_writer_writes(name: str) -> None:
    assert check_manifest(TARGETS_DIR / name) == []


def test_check_manifest_names_a_changed_file_and_a_reformatted_manifest(tmp_path: Path) -> None:
    (tmp_path / "targets.jsonl").write_bytes(b'{"id": "a"}\n')
    manifest = write_manifest(tmp_path, {"name": "toy", "version": 1, "count": 1},
                              {"targets.jsonl": _sha(b'{"id": "a"}\n')}, {"after": True})
    assert list(manifest) == ["name", "version", "count", "files", "content_sha256", "after"]
    assert check_manifest(tmp_path) == []
    (tmp_path / "manifest.json").write_text(json.dumps(manifest, indent=4))
    assert check_manifest(tmp_path) == ["manifest.json"]
    (tmp_path / "manifest.json").write_bytes(manifest_bytes(manifest))
    (tmp_path / "targets.jsonl").write_bytes(b'{"id": "b"}\n')
    assert check_manifest(tmp_path) == ["targets.jsonl"]


def test_build_then_verify_through_the_cli(tmp_path: Path, capsys) -> None:
    assert _run(["targets", "build", "sentences-paper", "--out", str(tmp_path)]) == 0
    assert "content_sha256" in capsys.readouterr().out
    assert (tmp_path / "manifest.json").read_bytes() == (
        TARGETS_DIR / "sentences-paper" / "manifest.json").read_bytes()
    assert _run(["targets", "build", "sentences-paper", "--out", str(tmp_path), "--verify"]) == 0
    path = tmp_path / "targets.jsonl"
    path.write_text(path.read_text().replace("sen-001", "sen-991"))
    capsys.readouterr()
    assert _run(["targets", "build", "sentences-paper", "--out", str(tmp_path), "--verify"]) == 1
    assert str(path) in capsys.readouterr().out


def test_captions_mini_verifies_through_the_cli(capsys) -> None:
    assert _run(["targets", "build", "captions-mini", "--root", str(TARGETS_DIR), "--verify"]) == 0
    assert "captions-mini: all files match" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["captions-mni", "--verify"], "did you mean 'captions-mini'"),
    (["captions-mini", "--check-whisper"], "--check-whisper applies to transcripts-mini"),
    (["captions-paper", "sentences-paper", "--out", "x"], "--out names one set's folder"),
])
def test_bad_requests_get_one_line(argv: list[str], message: str, capsys) -> None:
    assert _run(["targets", "build", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_old_python_m_paths_run_the_same_command() -> None:
    for module in ("invbench.targets.builders.paper_texts", "invbench.worlds.paper_texts"):
        done = subprocess.run([sys.executable, "-m", module, "--verify", "--root",
                               str(TARGETS_DIR)], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "captions-paper: all files match" in done.stdout
        assert "sentences-paper: all files match" in done.stdout
