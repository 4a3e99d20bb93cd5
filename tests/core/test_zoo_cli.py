"""`invbench zoo`: listing the shipped models, training one through the shared loop, refusing
unknown names and settings with one line."""

import json
import platform

import pytest
import torch

from invbench.cli.main import main
from invbench.fs.atomic import sha256_file
from invbench.models.zoo.weights import MANIFEST_FILE, WEIGHTS_FILE, zoo_dir

# sha256 of the weights of `invbench zoo train captioner --quick --set steps=2`, computed with the
# recipe as it was before the recipes shared one training loop. The shared loop must keep every
# operation of a step in its order, so the same seed still gives the same bits. Floating-point
# rounding can differ with the torch build or CPU, as it can for the shipped weights: on a new
# pair, run the command above and add its hash.
TWO_STEP_CAPTIONER = {
    ("2.13.0+cpu", "x86_64"): "89d9256326df1c5c00551daea589587b80bcdd687690a4c52563a3614ee5f4c7",
}


def _run(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code


def test_zoo_list_names_every_shipped_model_and_its_hash(capsys):
    from invbench.models.zoo.weights import load_zoo_weights

    assert _run(["zoo", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("captioner", "captioner-judge", "mini-clip", "generator", "tts"):
        assert name in out and load_zoo_weights(name).sha256[:12] in out


def test_zoo_list_refuses_a_bad_manifest_in_one_line(tmp_path, monkeypatch, capsys):
    import invbench.models.zoo.weights as weights

    folder = tmp_path / "captioner"
    folder.mkdir()
    manifest = json.loads((zoo_dir() / "captioner" / MANIFEST_FILE).read_text())
    (folder / MANIFEST_FILE).write_text(json.dumps({**manifest, "bytes": "big"}))
    monkeypatch.setattr(weights, "zoo_dir", lambda: tmp_path)
    assert _run(["zoo", "list"]) == 2
    err = capsys.readouterr().err
    assert f"{folder / MANIFEST_FILE}: field 'bytes': expected an integer" in err
    assert "Traceback" not in err


def test_zoo_train_unknown_name_suggests(capsys):
    assert _run(["zoo", "train", "captionr"]) == 2
    err = capsys.readouterr().err
    assert "unknown zoo model 'captionr'" in err and "did you mean 'captioner'" in err


def test_two_step_captioner_reproduces_the_pre_refactor_weights(tmp_path, capsys):
    out = tmp_path / "c"
    assert _run(["zoo", "train", "captioner", "--quick", "--set", "steps=2",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed[printed.index("{\n"):])["name"] == "captioner"
    text = (out / MANIFEST_FILE).read_text()
    manifest = json.loads(text)
    # the layout of the shipped manifests: same keys in the same order, two-space JSON
    shipped = json.loads((zoo_dir() / "captioner" / MANIFEST_FILE).read_text())
    assert list(manifest) == list(shipped) == ["name", "architecture", "config", "files",
                                               "bytes", "parameters", "recipe", "quality",
                                               "training"]
    assert text == json.dumps(manifest, indent=2) + "\n"
    assert manifest["training"]["steps"] == 2 and manifest["recipe"]["settings"]["steps"] == 2
    assert manifest["files"][WEIGHTS_FILE] == sha256_file(out / WEIGHTS_FILE)
    key = (torch.__version__, platform.machine())
    assert key in TWO_STEP_CAPTIONER, f"no recorded fingerprint for torch {key[0]} on {key[1]}"
    assert manifest["files"][WEIGHTS_FILE] == TWO_STEP_CAPTIONER[key]


@pytest.mark.parametrize(("argv", "message"), [
    (["captioner", "--quick", "--set", "bogus=1"], "unknown training settings ['bogus']"),
    (["mini-clip", "--quick", "--set", "bogus=1"], "unknown training settings ['bogus']"),
    (["mini-clip", "--quick", "--minutes", "1"], "mini-clip: its recipe has no time cap"),
    (["captioner", "--set", "steps"], "'steps' is not KEY=JSON"),
    (["captioner", "--set", "seed=3"], "'seed' has its own option (--seed)"),
])
def test_zoo_train_refuses_bad_settings_in_one_line(argv, message, capsys):
    assert _run(["zoo", "train", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_recipe_cannot_write_a_manifest_the_loader_would_refuse(tmp_path):
    from invbench.contracts.errors import InvbenchError
    from invbench.recipes.catalog import save_zoo_model

    with pytest.raises(InvbenchError, match=r"manifest.json: field 'config': expected an obj"):
        save_zoo_model(tmp_path, name="tiny", architecture="a-v1", config=[1, 2],
                       state_dict={"w": torch.zeros(2)}, recipe={}, quality={}, training={})
    assert not (tmp_path / MANIFEST_FILE).exists()
