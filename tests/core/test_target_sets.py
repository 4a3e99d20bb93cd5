import json

import numpy as np
import pytest
import soundfile

from invbench.contracts.errors import TargetSetError
from invbench.fs.shipped import resource_dir
from invbench.plugins.task_catalog import TaskCatalog
from invbench.targets.target_set import load_target_set


def _load(include_path):
    catalog = TaskCatalog([include_path])
    return load_target_set(catalog.get("asr/tiny").targets, catalog.target_dirs())


def test_shipped_set_verifies_and_decodes():
    catalog = TaskCatalog()
    target_set = load_target_set(catalog.get("asr/mini").targets, catalog.target_dirs())
    assert len(target_set.items) >= 40
    wave = target_set.items[0].hidden["audio"]
    assert wave.sample_rate == 16000 and wave.samples.ndim == 1
    assert target_set.root == resource_dir("data") / "targets" / "transcripts-mini"


def test_checksum_mismatch_names_the_file(include_path):
    wav = include_path / "targets" / "transcripts-tiny" / "audio" / "t001.wav"
    data = bytearray(wav.read_bytes())
    data[-1] ^= 0xFF
    wav.write_bytes(bytes(data))
    with pytest.raises(TargetSetError, match=r"checksum mismatch for .*t001\.wav"):
        _load(include_path)


def test_missing_file_is_named(include_path):
    (include_path / "targets" / "transcripts-tiny" / "audio" / "t002.wav").unlink()
    with pytest.raises(TargetSetError, match=r"missing file .*t002\.wav"):
        _load(include_path)


def test_wrong_sample_rate_is_named(include_path):
    from target_fixtures import rehash

    root = include_path / "targets" / "transcripts-tiny"
    soundfile.write(root / "audio" / "t000.wav", np.zeros(8000, dtype="float32"), 8000)
    rehash(root)
    task = include_path / "tasks" / "tiny.yaml"
    pinned = json.loads((root / "manifest.json").read_text())["content_sha256"]
    text = task.read_text()
    start = text.index("content_sha256: ") + len("content_sha256: ")
    task.write_text(text[:start] + pinned + text[start + 64:])
    with pytest.raises(TargetSetError, match=r"t000\.wav: sample rate 8000 Hz.*16000"):
        _load(include_path)


def test_changed_set_does_not_match_the_pinned_hash(include_path):
    from target_fixtures import rehash

    root = include_path / "targets" / "transcripts-tiny"
    lines = (root / "targets.jsonl").read_text().splitlines()
    (root / "targets.jsonl").write_text("\n".join(lines[:2]) + "\n")
    rehash(root)
    with pytest.raises(TargetSetError, match="needs a new task version"):
        _load(include_path)


def _repin(include_path, root, task_file):
    """Rehash a changed test set and pin the task to it (to reach the decode checks)."""
    from target_fixtures import rehash

    rehash(root, root, root.name)
    task = include_path / "tasks" / task_file
    pinned = json.loads((root / "manifest.json").read_text())["content_sha256"]
    text = task.read_text()
    start = text.index("content_sha256: ") + len("content_sha256: ")
    task.write_text(text[:start] + pinned + text[start + 64 :])


def _load_images(include_path):
    catalog = TaskCatalog([include_path])
    return load_target_set(catalog.get("captioner/tiny").targets, catalog.target_dirs())


def test_image_set_decodes_targets_and_pool(image_include_path):
    target_set = _load_images(image_include_path)
    assert len(target_set.items) == 3 and len(target_set.pool) == 8
    image = target_set.items[0].hidden["image"]
    assert tuple(image.pixels.shape) == (3, 64, 64)
    assert float(image.pixels.min()) >= 0.0 and float(image.pixels.max()) <= 1.0
    assert tuple(target_set.pool[0]["image"].pixels.shape) == (3, 64, 64)


def test_shipped_image_set_verifies():
    catalog = TaskCatalog()
    target_set = load_target_set(catalog.get("captioner/mini").targets, catalog.target_dirs())
    assert len(target_set.items) >= 40 and len(target_set.pool) == 200
    texts = [item.target["text"] for item in target_set.items]
    assert len(set(texts)) == len(texts)


def test_wrong_image_size_is_named(image_include_path):
    from PIL import Image

    root = image_include_path / "targets" / "captions-tiny"
    Image.new("RGB", (32, 32)).save(root / "images" / "cap-001.png")
    _repin(image_include_path, root, "captioner-tiny.yaml")
    with pytest.raises(TargetSetError, match=r"cap-001\.png: image is 32x32.*64x64"):
        _load_images(image_include_path)


def test_undecodable_image_is_named(image_include_path):
    root = image_include_path / "targets" / "captions-tiny"
    (root / "pool" / "pool-003.png").write_bytes(b"not a png")
    _repin(image_include_path, root, "captioner-tiny.yaml")
    with pytest.raises(TargetSetError, match=r"cannot decode image .*pool-003\.png"):
        _load_images(image_include_path)
