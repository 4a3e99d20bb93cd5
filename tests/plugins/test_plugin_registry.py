"""The one Registry kind: lazy entries, one registration per object, collisions that name both
origins, provenance, and the single "did you mean" every lookup uses."""

from __future__ import annotations

import os.path
import sys
import types
from pathlib import Path

import pytest

from invbench.contracts.errors import InvbenchError, UnknownNameError
from invbench.plugins.catalog import INVERTERS, METRICS, MODELS, register_model
from invbench.plugins.registry import (
    Registry,
    RegistryCollisionError,
    load_python_file,
    unknown_name_message,
)

GROUP = "invbench_test.things"


def install_distribution(site: Path, module: str, source: str, entry_points: str,
                         name: str = "demo-things", version: str = "1.2.3") -> None:
    """A real installed distribution under ``site`` (what pip writes: a module and a dist-info
    folder with METADATA and entry_points.txt), found by importlib.metadata."""
    (site / f"{module}.py").write_text(source)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{entry_points}\n")


@pytest.fixture
def holder(monkeypatch, tmp_path):
    """A fresh registry reading the test group, importable by plug-in modules as ``holder.REG``;
    ``tmp_path`` is on sys.path so distributions written there are installed."""
    module = types.ModuleType("invbench_test_holder")
    module.REG = Registry("thing", entry_point_group=GROUP)
    monkeypatch.setitem(sys.modules, "invbench_test_holder", module)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield module
    for name in [m for m in sys.modules if m.startswith("demo_things")]:
        del sys.modules[name]


DECORATED = '''
from invbench_test_holder import REG


@REG.register("thing-a")
class ThingA:
    pass
'''


def test_lazy_entries_are_imported_only_on_get():
    reg = Registry("thing")
    reg.add("join", "os.path:join")
    reg.add("broken", "no_such_module_xyz:attr")  # registering imports nothing
    assert reg.names() == ["broken", "join"]
    assert reg.get("join") is os.path.join
    with pytest.raises(InvbenchError, match="no_such_module_xyz"):
        reg.get("broken")


def test_the_same_object_twice_is_one_registration():
    reg = Registry("thing")
    reg.add("join", "os.path:join")
    reg.add("join", "os.path:join")
    reg.add("join", os.path.join, origin="some.module")  # the object the lazy entry names
    assert reg.names() == ["join"]
    assert reg.provenance("join").kind == "built-in"


def test_a_real_collision_names_both_origins():
    reg = Registry("thing")
    reg.add("a", "os.path:join")
    with pytest.raises(RegistryCollisionError) as info:
        reg.add("a", "os.path:split", origin="plugin x")
    message = str(info.value)
    assert "thing 'a' is already registered (from built-in)" in message
    assert "from in-process plugin x" in message and "\n" not in message
    assert reg.get("a") is os.path.join  # the first registration stands


def test_decorator_then_entry_point_is_one_registration(holder, tmp_path):
    install_distribution(tmp_path, "demo_things", DECORATED, "thing-a = demo_things:ThingA")
    import demo_things  # user code imports the package first: the decorator registers

    assert holder.REG.names() == ["thing-a"]  # now the entry point is read: the same object
    assert holder.REG.get("thing-a") is demo_things.ThingA
    provenance = holder.REG.provenance("thing-a")
    assert provenance.model_dump() == {"kind": "entry-point", "origin": "demo_things:ThingA",
                                       "distribution": "demo-things", "version": "1.2.3"}


def test_entry_point_whose_import_runs_the_decorator_is_one_registration(holder, tmp_path):
    # the README's case: the entry point is read first, and importing it runs the decorator
    # while the module is half-imported (ThingA is not yet a module attribute)
    install_distribution(tmp_path, "demo_things", DECORATED, "thing-a = demo_things:ThingA")
    thing = holder.REG.get("thing-a")
    assert thing is sys.modules["demo_things"].ThingA
    assert holder.REG.names() == ["thing-a"]
    assert holder.REG.provenance("thing-a").distribution == "demo-things"


def test_entry_point_and_a_different_decorated_object_collide(holder, tmp_path):
    source = DECORATED + "\n\nclass Other:\n    pass\n"
    install_distribution(tmp_path, "demo_things", source, "thing-a = demo_things:Other")
    with pytest.raises(RegistryCollisionError) as info:
        holder.REG.get("thing-a")
    message = str(info.value)
    assert "entry point demo_things:Other (demo-things 1.2.3)" in message
    assert "in-process demo_things:ThingA" in message


def test_a_file_registration_has_file_provenance(tmp_path):
    plugin = tmp_path / "file_model.py"
    plugin.write_text(
        "from invbench import register_model\n"
        "@register_model('file-model-test')\n"
        "def make(device='cpu'):\n"
        "    return device\n"
    )
    try:
        load_python_file(plugin)
        provenance = MODELS.provenance("file-model-test")
        assert provenance.kind == "file"
        assert provenance.origin == f"{plugin.resolve()}:make"
        assert MODELS.get("file-model-test")(device="meta") == "meta"
    finally:
        MODELS.remove("file-model-test")


def test_decorators_in_user_code_are_in_process_and_builtins_are_built_in():
    @register_model("in-process-model-test")
    def make(device: str = "cpu") -> str:
        return device

    try:
        provenance = MODELS.provenance("in-process-model-test")
        assert provenance.kind == "in-process"
        assert provenance.origin == f"{make.__module__}:{make.__qualname__}"
        assert provenance.distribution is None
    finally:
        MODELS.remove("in-process-model-test")
    assert INVERTERS.provenance("noise").model_dump() == {
        "kind": "built-in", "origin": "invbench.inverters.noise:Noise",
        "distribution": None, "version": None}
    assert "wer" in METRICS.builtin_names() and "mini-clip" in MODELS.builtin_names()


def test_public_decorators_are_exported():
    import invbench

    for name in ("register_inverter", "register_model", "register_metric"):
        assert name in invbench.__all__ and callable(getattr(invbench, name))


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("waveform-adm", "waveform-adam"), ("refrence", "reference"), ("nois", "noise")],
)
def test_unknown_names_suggest_close_ones_on_one_line(name, suggestion):
    with pytest.raises(UnknownNameError) as info:
        INVERTERS.get(name)
    message = str(info.value)
    assert message.startswith(f"unknown inverter {name!r}; did you mean '{suggestion}'")
    assert "\n" not in message and message == INVERTERS.unknown_message(name)


def test_every_name_table_uses_the_one_message():
    from invbench.metrics.cards import load_card
    from invbench.metrics.clip_score import load_judge
    from invbench.plugins.task_catalog import TaskCatalog
    from invbench.recipes.catalog import ZOO

    catalog = TaskCatalog()
    cases = [
        (lambda: ZOO.get("captionr"), "zoo model", "captionr", ZOO.names()),
        (lambda: load_card("werr"), "metric card", "werr", None),
        (lambda: catalog.get("asr/mni"), "task", "asr/mni", None),
        (lambda: catalog.suite("mni"), "suite", "mni", catalog.suites()),
        (lambda: load_judge("mini-clp"), "model", "mini-clp", MODELS.names()),
    ]
    for call, kind, name, known in cases:
        with pytest.raises(UnknownNameError) as info:
            call()
        message = str(info.value)
        assert message.startswith(f"unknown {kind} {name!r}; did you mean '"), message
        if known is not None:
            assert message == unknown_name_message(kind, name, known)
    assert unknown_name_message("thing", "zzz", []) == "unknown thing 'zzz' (known: none)"
