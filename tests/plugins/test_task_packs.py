"""Task packs (entry-point group ``invbench.tasks``) are read like ``--include-path`` folders:
their task YAML joins the catalog and their ``targets/`` folder is searched for target sets."""

from __future__ import annotations

import sys

import pytest
from target_fixtures import build_include_path

from invbench.contracts.errors import InvbenchError
from invbench.plugins.catalog import TASK_PACKS
from invbench.plugins.task_catalog import TaskCatalog
from invbench.plugins.task_packs import resolve_task_pack
from invbench.targets.target_set import load_target_set


@pytest.fixture
def pack(tmp_path, monkeypatch):
    """An importable package ``demo_task_pack`` holding ``tasks/tiny.yaml`` (asr/tiny) and
    ``targets/transcripts-tiny``; unregistered again afterwards."""
    folder = build_include_path(tmp_path / "demo_task_pack")
    (folder / "__init__.py").write_text("")
    (tmp_path / "demo_pack_paths.py").write_text(
        "from pathlib import Path\n"
        f"FOLDER = {str(folder)!r}\n"
        "def folder():\n"
        "    return Path(FOLDER)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield folder
    TASK_PACKS.remove("demo")
    for name in ("demo_task_pack", "demo_pack_paths"):
        sys.modules.pop(name, None)


@pytest.mark.parametrize("spec", ["demo_task_pack", "demo_pack_paths:folder",
                                  "demo_pack_paths:FOLDER"])
def test_a_pack_adds_its_tasks_and_target_sets(pack, spec):
    assert "asr/tiny" not in [s.name for s in TaskCatalog().all_latest()]
    TASK_PACKS.add("demo", spec, origin="test")
    catalog = TaskCatalog()
    spec_tiny = catalog.get("asr/tiny")
    assert catalog.get("asr/mini").name == "asr/mini"  # the shipped tasks are still there
    dirs = catalog.target_dirs()
    assert dirs.index(pack / "targets") < len(dirs) - 2  # before data/ and the prepared sets
    target_set = load_target_set(spec_tiny.targets, dirs)
    assert len(target_set.items) == 3


def test_an_include_path_is_searched_before_a_pack(pack, tmp_path):
    TASK_PACKS.add("demo", "demo_task_pack", origin="test")
    other = build_include_path(tmp_path / "other")  # the same asr/tiny: no conflict
    dirs = TaskCatalog([other]).target_dirs()
    assert dirs.index(other / "targets") < dirs.index(pack / "targets")


def test_bad_packs_are_one_line_errors(pack, tmp_path):
    (tmp_path / "demo_pack_bad.py").write_text("MISSING = '/no/such/folder'\nNUMBER = 3\n")
    cases = {
        "demo_pack_bad": "is a module, not a package folder",
        "demo_pack_bad:MISSING": "'/no/such/folder' is not a folder",
        "demo_pack_bad:NUMBER": "must give a folder (str or Path), got int",
        "no_such_pack_xyz": "task pack 'no_such_pack_xyz' cannot be imported",
    }
    for spec, message in cases.items():
        with pytest.raises(InvbenchError) as info:
            resolve_task_pack(spec)
        assert message in str(info.value) and "\n" not in str(info.value)
    sys.modules.pop("demo_pack_bad", None)
