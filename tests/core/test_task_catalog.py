import shutil
from pathlib import Path

import pytest

from invbench.contracts.errors import InvbenchError, UnknownNameError
from invbench.fs.shipped import resource_dir
from invbench.plugins.task_catalog import TaskCatalog


def test_builtin_tasks_load_and_pin_versions():
    catalog = TaskCatalog()
    spec = catalog.get("asr/mini")
    assert spec.family == "asr" and spec.key == "asr/mini@1"
    assert catalog.get("asr/mini@1") == spec
    assert "asr/mini" in [s.name for s in catalog.suite("mini")]


@pytest.mark.parametrize(
    ("name", "message"),
    [("asr/mni", "did you mean 'asr/mini'"), ("asr/mini@9", "available: asr/mini@1")],
)
def test_unknown_tasks_are_explained(name, message):
    with pytest.raises(UnknownNameError, match=message):
        TaskCatalog().get(name)


def test_unknown_suite_suggests():
    with pytest.raises(UnknownNameError, match="did you mean 'mini'"):
        TaskCatalog().suite("mimi")


def test_include_path_adds_tasks_and_rejects_an_edited_version(tmp_path: Path):
    source = resource_dir("tasks") / "asr" / "smoke-v1.yaml"
    text = source.read_text().replace("name: asr/smoke", "name: asr/extra")
    (tmp_path / "extra.yaml").write_text(text)
    assert TaskCatalog([tmp_path]).get("asr/extra").version == 1
    # The same name and version with different contents: a task must never change in place.
    (tmp_path / "edited.yaml").write_text(text.replace("max_steps: 3", "max_steps: 4"))
    with pytest.raises(InvbenchError, match="new version"):
        TaskCatalog([tmp_path])


def test_invalid_task_file_names_file_and_field(tmp_path: Path):
    shutil.copy(resource_dir("tasks") / "asr" / "smoke-v1.yaml", tmp_path / "bad.yaml")
    path = tmp_path / "bad.yaml"
    path.write_text(path.read_text().replace("family: asr", "family: sonar"))
    with pytest.raises(InvbenchError, match=r"bad\.yaml.*family"):
        TaskCatalog([tmp_path])
