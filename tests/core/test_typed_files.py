"""Target-set and zoo manifests: the shipped files validate and round-trip byte for byte, and a
bad one is a single line naming the file and the field."""

import json
import shutil
from pathlib import Path

import pytest

from invbench.contracts.errors import InvbenchError, TargetSetError
from invbench.contracts.task_spec import TargetSetRef
from invbench.fs.shipped import resource_dir
from invbench.models.zoo.manifest import ZooManifest
from invbench.models.zoo.weights import load_zoo_weights
from invbench.targets.manifest import TargetSetManifest
from invbench.targets.target_set import load_target_set

DATA = resource_dir("data")
TARGET_MANIFESTS = sorted((DATA / "targets").glob("*/manifest.json"))
ZOO_MANIFESTS = sorted((DATA / "models").glob("*/manifest.json"))


def test_every_shipped_manifest_is_found():
    assert len(TARGET_MANIFESTS) >= 6 and len(ZOO_MANIFESTS) >= 5


@pytest.mark.parametrize("path", TARGET_MANIFESTS, ids=lambda p: p.parent.name)
def test_shipped_target_set_manifests_round_trip(path: Path):
    text = path.read_text(encoding="utf-8")
    manifest = TargetSetManifest.model_validate(json.loads(text))
    assert manifest.to_json() == text


@pytest.mark.parametrize("path", ZOO_MANIFESTS, ids=lambda p: p.parent.name)
def test_shipped_zoo_manifests_round_trip(path: Path):
    text = path.read_text(encoding="utf-8")
    assert ZooManifest.model_validate(json.loads(text)).to_json() == text


def _copy_set(tmp_path: Path, name: str = "transcripts-mini") -> tuple[Path, dict]:
    folder = tmp_path / name
    shutil.copytree(DATA / "targets" / name, folder)
    return folder, json.loads((folder / "manifest.json").read_text())


def test_a_target_set_manifest_with_a_bad_field_is_one_line(tmp_path):
    folder, data = _copy_set(tmp_path)
    data["sample_rate"] = "sixteen k"
    (folder / "manifest.json").write_text(json.dumps(data))
    ref = TargetSetRef(name="transcripts-mini", version=1, content_sha256=data["content_sha256"])
    with pytest.raises(TargetSetError) as info:
        load_target_set(ref, [tmp_path])
    assert str(info.value) == (f"{folder / 'manifest.json'}: field 'sample_rate': expected an "
                               "integer, got 'sixteen k'")


def test_a_target_set_manifest_without_targets_jsonl_is_refused(tmp_path):
    folder, data = _copy_set(tmp_path)
    data["files"].pop("targets.jsonl")
    (folder / "manifest.json").write_text(json.dumps(data))
    ref = TargetSetRef(name="transcripts-mini", version=1, content_sha256=data["content_sha256"])
    with pytest.raises(TargetSetError, match="field 'files': must list targets.jsonl"):
        load_target_set(ref, [tmp_path])


def test_a_loaded_target_set_carries_its_typed_manifest():
    data = json.loads((DATA / "targets" / "captions-mini" / "manifest.json").read_text())
    ref = TargetSetRef(name="captions-mini", version=1, content_sha256=data["content_sha256"])
    loaded = load_target_set(ref, [DATA / "targets"])
    assert loaded.manifest.image_size == (64, 64) and loaded.manifest.pool == "pool.jsonl"
    assert loaded.manifest.count == len(loaded.items)


def test_a_zoo_manifest_from_a_newer_schema_is_one_line(tmp_path):
    folder = tmp_path / "captioner"
    shutil.copytree(DATA / "models" / "captioner", folder)
    data = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({"schema": 9, **data}))
    with pytest.raises(InvbenchError) as info:
        load_zoo_weights(folder)
    message = str(info.value)
    assert message.startswith(f"{folder / 'manifest.json'}: field 'schema': schema 9 was")
    assert "upgrade invbench" in message and "\n" not in message


def test_a_zoo_manifest_that_is_not_json_is_one_line(tmp_path):
    folder = tmp_path / "captioner"
    shutil.copytree(DATA / "models" / "captioner", folder)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(InvbenchError, match=r"manifest.json is not valid JSON"):
        load_zoo_weights(folder)
