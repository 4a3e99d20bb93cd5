"""Damaged weights are one line naming the file (issue 14): MiniLM through the same loader
(:class:`invbench.models.minilm.MiniLM`) the metrics and models use, a pipeline folder's subfolders
(FLUX), a refused pickle (Chatterbox's conds.pt). A caller's own folder gets no advice to delete,
reinstall or re-download it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from invbench.contracts.errors import InvbenchError
from invbench.models.checkpoint_files import guarded_load
from invbench.models.minilm import MiniLM, model_dir


def _copy_with_damaged_weights(folder: Path, damage: str) -> Path:
    """``folder``: links to the packaged files, and a damaged ``model.safetensors`` (its first
    MiB only: enough for the header, far short of the tensors)."""
    source = model_dir()
    folder.mkdir()
    for item in source.iterdir():
        if item.name != "model.safetensors":
            (folder / item.name).symlink_to(item)
    with (source / "model.safetensors").open("rb") as handle:
        head = handle.read(1 << 20)
    weights = folder / "model.safetensors"
    weights.write_bytes(head if damage == "truncate" else b"\xff" * 8 + head[8:])
    return weights


@pytest.mark.parametrize("damage", ["truncate", "header"])
def test_damaged_minilm_weights_are_one_line_naming_the_file(tmp_path, damage):
    weights = _copy_with_damaged_weights(tmp_path / "my-minilm", damage)
    with pytest.raises(InvbenchError) as caught:
        MiniLM("cpu", folder=weights.parent)
    message = str(caught.value)
    assert str(weights) in message and "safetensors" in message
    assert "\n" not in message
    assert "delete" not in message and "reinstall" not in message


def _tiny_safetensors(path: Path) -> Path:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"w": torch.zeros(64)}, str(path))
    return path


def test_a_damaged_file_in_a_subfolder_is_found_and_named(tmp_path):
    """A pipeline folder (FLUX's save_pretrained layout): the loader's own error is replaced
    by one line naming the damaged file, for a user's folder with no remedy."""
    from invbench.models.paper.flux import _raise_if_damaged

    _tiny_safetensors(tmp_path / "vae" / "diffusion_pytorch_model.safetensors")
    bad = _tiny_safetensors(tmp_path / "transformer" / "model-00001.safetensors")
    bad.write_bytes(bad.read_bytes()[:-16])
    with pytest.raises(InvbenchError) as caught:
        _raise_if_damaged(str(tmp_path), None, RuntimeError("deep inside the loader"))
    message = str(caught.value)
    assert str(bad) in message and "hf download" not in message and "delete" not in message


def test_guarded_load_names_a_refused_pickle_and_passes_other_errors_on(tmp_path):
    class NotATensor:
        def __reduce__(self):
            return (print, ("never run",))

    conds = tmp_path / "conds.pt"
    torch.save({"x": NotATensor()}, conds)
    with pytest.raises(InvbenchError) as caught:
        guarded_load(lambda: torch.load(conds, weights_only=True), tmp_path)
    assert str(conds) in str(caught.value) and "weights-only" in str(caught.value)
    _tiny_safetensors(tmp_path / "ok.safetensors")
    with pytest.raises(KeyError):  # nothing on disk explains it: the error is the loader's
        guarded_load(lambda: {}["missing"], tmp_path)
