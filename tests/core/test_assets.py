"""Asset kinds, the suite inventory, the lockfile and the placement policy (all offline)."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch

from invbench.assets import HubRepo, PreparedTargetSet, PythonPackage, UrlFile, WhisperCheckpoint
from invbench.assets.lockfile import read_lockfile, write_lockfile
from invbench.contracts.errors import InvbenchError
from invbench.harness.requirements import MissingAssetsError, check_tasks, require_assets
from invbench.models.placement import peak_memory, resolve_placement
from invbench.models.weights_identity import file_sha256, folder_weights_sha256
from invbench.plugins.task_catalog import TaskCatalog


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("INVBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_hub_repo_missing_offline_and_local_folder_present(offline):
    status = HubRepo(repo_id="invbench-test/nothing-here").check()
    assert not status.present and "invbench prefetch" in status.detail
    folder = offline / "saved"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights")
    assert HubRepo(repo_id=str(folder)).check().present
    entry = HubRepo(repo_id=str(folder)).fetch()
    assert entry["files"] == {"model.safetensors": hashlib.sha256(b"weights").hexdigest()}


def test_python_package_names_the_install_command():
    status = PythonPackage(module="invbench_no_such_module", install="pip install thing").check()
    assert not status.present
    assert "not installed" in status.detail and "pip install thing" in status.detail
    assert PythonPackage(module="json").check().present


def test_url_file_missing_present_and_verified(tmp_path):
    path = tmp_path / "w.pth"
    asset = UrlFile(url="https://example.invalid/w.pth", path=str(path),
                    sha256=hashlib.sha256(b"abc").hexdigest())
    assert not asset.check().present
    path.write_bytes(b"abc")
    assert asset.check(verify=True).present
    path.write_bytes(b"abd")
    assert asset.check().present and not asset.check(verify=True).present


def test_whisper_checkpoint_is_looked_up_in_whispers_cache(offline):
    status = WhisperCheckpoint(name="large-v3").check()
    assert not status.present and str(offline / "xdg" / "whisper" / "large-v3.pt") in status.detail
    with pytest.raises(InvbenchError, match="unknown Whisper model"):
        WhisperCheckpoint(name="huge-v9").check()


def test_paper_suite_inventory_names_every_missing_asset(offline):
    catalog = TaskCatalog()
    specs = catalog.suite("paper")
    reports = {r.asset.key: r for r in check_tasks(specs, catalog.target_dirs())}
    for key in ("hf:Salesforce/blip-image-captioning-large",
                "hf:Salesforce/blip-image-captioning-base", "hf:black-forest-labs/FLUX.1-dev",
                "whisper:large-v3", "whisper:small.en", "python:chatterbox",
                "hf:ResembleAI/chatterbox", "targets:images-paper@1",
                "targets:captions-paper-rendered@1", "targets:clips-paper@1"):
        assert key in reports and reports[key].blocking, key
    # the Flux pipeline is needed by the generator task and (to render) by nobody else here
    assert reports["whisper:large-v3"].tasks == ["asr/paper@1", "tts/paper@1"]
    with pytest.raises(MissingAssetsError) as err:
        require_assets(specs, catalog.target_dirs())
    message = str(err.value)
    assert "nothing was run" in message and "whisper:large-v3" in message
    assert all(catalog.get(t).suite == "paper" for r in reports.values() for t in r.tasks)


def test_mini_suite_needs_nothing_beyond_the_install(offline):
    catalog = TaskCatalog()
    assert require_assets(catalog.suite("mini"), catalog.target_dirs()) == []


def test_prepared_set_points_at_the_prepare_command(tmp_path):
    asset = PreparedTargetSet(name="x", search_dirs=(str(tmp_path),), command="invbench prepare")
    assert "invbench prepare" in asset.check().detail
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "manifest.json").write_text("{}")
    assert asset.check().present


def test_lockfile_round_trip_and_corruption(tmp_path):
    path = tmp_path / "paper.lock.json"
    assert read_lockfile(path) is None
    write_lockfile(path, "paper", {"b": {"sha256": "2"}, "a": {"sha256": "1"}}, "now", {"x": "1"})
    data = read_lockfile(path)
    assert list(data["assets"]) == ["a", "b"] and data["suite"] == "paper"
    path.write_text("{not json")
    with pytest.raises(InvbenchError, match="not valid JSON"):
        read_lockfile(path)


def test_prefetch_refuses_when_offline(offline):
    from click.testing import CliRunner

    from invbench.cli.main import cli

    result = CliRunner().invoke(cli, ["prefetch", "--suite", "paper"])
    assert isinstance(result.exception, InvbenchError)
    assert "HF_HUB_OFFLINE" in str(result.exception)


@pytest.mark.parametrize(("device", "dtype", "expected"), [
    ("cpu", "auto", torch.float32), ("cpu", "bfloat16", torch.bfloat16),
    ("cpu", "float16", torch.float16)])
def test_placement_policy(device, dtype, expected):
    placement = resolve_placement(device, dtype)
    assert placement.dtype == expected
    assert placement.describe()["device"] == "cpu"


@pytest.mark.parametrize(("args", "message"), [
    (("cpu", "int8"), "dtype 'int8'"), (("cpu", "auto", True), "needs a cuda device"),
    (("nonsense",), "not one invbench runs on")])
def test_placement_rejects_bad_settings(args, message):
    if not torch.cuda.is_available() or args[0] != "cuda":
        with pytest.raises(InvbenchError, match=message):
            resolve_placement(*args)


def test_peak_memory_reports_host_rss():
    assert peak_memory("cpu")["host_peak_rss_bytes"] > 10_000_000


def test_weights_identity_reads_hub_blob_names(tmp_path):
    blob_dir, snap = tmp_path / "blobs", tmp_path / "snap"
    blob_dir.mkdir()
    snap.mkdir()
    data = b"tensor bytes"
    digest = hashlib.sha256(data).hexdigest()
    (blob_dir / digest).write_bytes(data)
    (snap / "model.safetensors").symlink_to(blob_dir / digest)
    (snap / "config.json").write_text(json.dumps({"a": 1}))
    assert file_sha256(snap / "model.safetensors") == digest
    expected = hashlib.sha256(f"model.safetensors\t{digest}\n".encode()).hexdigest()
    assert folder_weights_sha256(snap) == expected  # config.json is not a weight file


def test_default_and_test_installs_stay_free_of_torchvision_and_chatterbox():
    import importlib.util
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    banned = {"torchvision", "chatterbox-tts", "open-clip-torch", "lpips", "torch-fidelity"}
    for line in requires("invbench") or []:
        req = Requirement(line)
        installs_by_default = req.marker is None or any(
            req.marker.evaluate({"extra": extra}) for extra in ("", "dev"))
        if installs_by_default:
            assert req.name.lower().replace("_", "-") not in banned, line
    # and this (test) environment really has neither: CPU torch cannot import torchvision here
    assert importlib.util.find_spec("torchvision") is None
    assert importlib.util.find_spec("chatterbox") is None
