"""Bad input at the CLI edge: one line naming the thing, exit 2, never a traceback (issue 14).

Runs ``invbench.cli.main.main`` in-process (no subprocess start-up), on the mini captioner task
with one target and the noise inverter.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from invbench.cli.main import main
from invbench.cli.paths import os_error_message
from invbench.contracts.errors import InvbenchError
from invbench.contracts.task_spec import TaskSpec
from invbench.models.checkpoint_files import check_safetensors, refused_pickle
from invbench.models.zoo.weights import load_zoo_weights, zoo_dir
from invbench.plugins.option_check import check_task_options
from invbench.plugins.task_catalog import TaskCatalog, load_task_file

REPO = Path(__file__).resolve().parents[2]
MINI = ["--tasks", "captioner/mini", "--inverters", "noise", "--limit", "1", "--no-progress"]


def run_cli(capsys, *args: str) -> tuple[int, str]:
    """Exit status and stderr of ``invbench ARGS``."""
    with pytest.raises(SystemExit) as stop:
        main(list(args))
    return stop.value.code, capsys.readouterr().err


def one_line_error(err: str, *needles: str) -> str:
    """The single ``invbench: error:`` line of ``err``, which must name every needle."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("invbench: error:")]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "mini"
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", *MINI, "--out", str(out)])
    assert stop.value.code == 0
    return out


def test_out_under_a_file_fails_before_compute(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, err = run_cli(capsys, "evaluate", *MINI, "--out", str(blocker / "run"))
    assert code == 2
    one_line_error(err, str(blocker), "is a file")
    assert "captioner/mini" not in err  # nothing was planned or loaded


def test_out_without_permission_fails_before_compute(tmp_path, capsys):
    if os.geteuid() == 0:  # root ignores mode bits; sysfs refuses new folders even to root
        target = Path("/sys/invbench-cli-errors-test/run")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "run"
    code, err = run_cli(capsys, "evaluate", *MINI, "--out", str(target))
    assert code == 2
    one_line_error(err, str(target), "not writable")
    assert not target.exists()


def test_leaderboard_into_an_unwritable_place_is_one_line(run_dir, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, err = run_cli(capsys, "leaderboard", str(run_dir), "--csv", str(blocker / "lb.csv"))
    assert code == 2
    one_line_error(err, "cannot write or read", str(blocker))


def test_os_error_message_names_both_paths_and_the_reason():
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/runs/x/records.jsonl")
    assert os_error_message(full) == (f"cannot write or read /runs/x/records.jsonl: "
                                      f"{os.strerror(errno.ENOSPC)} (the disk is full)")
    moved = OSError(errno.EROFS, os.strerror(errno.EROFS), "/a.tmp", None, "/a")
    assert "/a.tmp -> /a" in os_error_message(moved)


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "tpu"])
def test_unknown_device_names_the_accepted_forms(device, tmp_path, capsys):
    code, err = run_cli(capsys, "evaluate", *MINI, "--device", device, "--out", str(tmp_path))
    assert code == 2
    one_line_error(err, repr(device), "cpu, cuda, cuda:N", "mps", "CUDA is")


def test_cuda_without_a_gpu_says_so(tmp_path, capsys):
    if torch.cuda.is_available():
        device = f"cuda:{torch.cuda.device_count()}"  # one past the last GPU
    else:
        device = "cuda"
    code, err = run_cli(capsys, "evaluate", *MINI, "--device", device, "--out", str(tmp_path))
    assert code == 2
    one_line_error(err, repr(device), "CUDA")


def _mini_spec(edit) -> TaskSpec:
    data = yaml.safe_load((REPO / "tasks/captioner/mini-v1.yaml").read_text())
    edit(data)
    return TaskSpec.model_validate(data)


def test_every_shipped_task_passes_the_option_check():
    specs = TaskCatalog().all_specs()
    assert len(specs) >= 8
    for spec in specs:
        check_task_options(spec)


@pytest.mark.parametrize(("edit", "needles"), [
    (lambda d: d["metrics"].__setitem__(3, {"id": "wer", "options": {"normalise": False}}),
     ["metric 'wer'", "'normalise'", "accepted: none"]),
    (lambda d: d["metrics"][7]["options"].update(modle="mini-clip"),
     ["metric 'clip_score'", "'modle'", "did you mean 'model'"]),
    (lambda d: d["forward_model"]["options"].update(nme="captioner"),
     ["forward model 'shapes-captioner'", "'nme'", "did you mean 'name'"]),
    (lambda d: d["judges"]["transfer"]["options"].update(devcie="cpu"),
     ["judge 'transfer'", "'devcie'", "--device"]),
])
def test_option_typos_are_named_with_a_suggestion(edit, needles):
    with pytest.raises(InvbenchError) as caught:
        check_task_options(_mini_spec(edit))
    message = str(caught.value)
    assert message.startswith("task captioner/mini@1")
    for needle in needles:
        assert needle in message, message


def test_option_typo_stops_evaluate_before_compute(tmp_path, capsys):
    data = yaml.safe_load((REPO / "tasks/captioner/mini-v1.yaml").read_text())
    data["name"] = "captioner/typo"
    data["metrics"][3] = {"id": "wer", "options": {"normalise": False}}
    (tmp_path / "typo-v1.yaml").write_text(yaml.safe_dump(data))
    out = tmp_path / "run"
    code, err = run_cli(capsys, "evaluate", "--include-path", str(tmp_path), "--tasks",
                        "captioner/typo", "--inverters", "noise", "--limit", "1",
                        "--no-progress", "--out", str(out))
    assert code == 2
    one_line_error(err, "'normalise'", "captioner/typo@1")
    assert not (out / "records.jsonl").exists()


@pytest.mark.parametrize(("where", "key", "suggestion"), [
    ((), "nme", "'name'"), (("forward_model",), "optons", "'options'"),
    (("metrics", 5), "prefx", "'prefix'"), (("budget",), "max_step", "'max_steps'")])
def test_unknown_yaml_key_names_file_key_and_suggestion(tmp_path, where, key, suggestion):
    data = yaml.safe_load((REPO / "tasks/captioner/mini-v1.yaml").read_text())
    node = data
    for step in where:
        node = node[step]
    node[key] = 1
    path = tmp_path / "bad-v1.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InvbenchError) as caught:
        load_task_file(path)
    message = str(caught.value)
    for needle in (str(path), f"unknown key {key!r}", f"did you mean {suggestion}"):
        assert needle in message, message


@pytest.mark.parametrize("damage", ["truncate", "header"])
def test_damaged_safetensors_is_one_line_naming_the_file(tmp_path, damage):
    source = zoo_dir() / "captioner"
    folder = tmp_path / "my-captioner"  # the user's own copy: no advice to delete or retrain it
    shutil.copytree(source, folder)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\xff" * 8 + data[8:])
    with pytest.raises(InvbenchError) as caught:
        check_safetensors(weights)
    assert str(weights) in str(caught.value)
    assert "safetensors" in str(caught.value)
    with pytest.raises(InvbenchError) as caught:  # the zoo loader checks the hash first
        load_zoo_weights(folder)
    message = str(caught.value)
    assert str(weights) in message
    assert "delete" not in message and "retrain" not in message


def test_pickle_that_weights_only_refuses_names_the_file(tmp_path):
    class NotATensor:
        def __reduce__(self):
            return (print, ("never run",))

    path = tmp_path / "pytorch_model.bin"
    torch.save({"w": torch.zeros(1), "x": NotATensor()}, path)
    with pytest.raises(Exception) as refused:
        torch.load(path, weights_only=True)
    message = str(refused_pickle(tmp_path, refused.value))
    assert str(path) in message and "print" in message and "safetensors" in message
    assert "\n" not in message and "delete" not in message


def test_unknown_family_is_refused_and_the_board_is_kept(run_dir, tmp_path, capsys):
    csv = tmp_path / "board.csv"
    assert run_cli(capsys, "leaderboard", str(run_dir), "--csv", str(csv))[0] == 0
    published = csv.read_text()
    code, err = run_cli(capsys, "leaderboard", str(run_dir), "--csv", str(csv),
                        "--families", "captionr")
    assert code == 2
    one_line_error(err, "'captionr'", "did you mean 'captioner'")
    code, err = run_cli(capsys, "leaderboard", str(run_dir), "--csv", str(csv),
                        "--families", "generator")  # known, but no records: an empty board
    assert code == 2
    one_line_error(err, str(csv), "empty")
    assert csv.read_text() == published


def test_evaluate_refuses_an_unknown_leaderboard_family_before_compute(tmp_path, capsys):
    out = tmp_path / "run"
    code, err = run_cli(capsys, "evaluate", "--tasks", "captioner/mini", "--inverters", "noise",
                        "--limit", "1", "--out", str(out),
                        "--leaderboard", f"captionr={tmp_path / 'board.csv'}")
    assert code == 2
    one_line_error(err, "'captionr'", "did you mean 'captioner'")
    assert not (out / "records.jsonl").exists()  # nothing ran


def test_doctor_checks_an_include_paths_target_set(tmp_path, capsys):
    targets = tmp_path / "targets"
    shutil.copytree(REPO / "data/targets/captions-mini", targets / "captions-mini")
    data = yaml.safe_load((REPO / "tasks/captioner/mini-v1.yaml").read_text())
    data.update(name="captioner/copied", suite="copied")
    (tmp_path / "copied-v1.yaml").write_text(yaml.safe_dump(data))
    args = ["doctor", "--include-path", str(tmp_path), "--suite", "copied"]
    assert run_cli(capsys, *args)[0] == 0
    jsonl = targets / "captions-mini" / "targets.jsonl"
    jsonl.write_text(jsonl.read_text().replace("cyan", "red", 1))
    with pytest.raises(SystemExit) as stop:
        main(args)
    out = capsys.readouterr().out
    assert stop.value.code == 1
    assert "checksum mismatch" in out and str(jsonl) in out
    assert "ready to run: none" in out
