import pytest

from invbench.contracts.errors import InvbenchError
from invbench.plugins.inverter_factory import make_inverter, parse_inverter_options
from invbench.plugins.registry import Registry, RegistryCollisionError, load_python_file


def test_lazy_entries_resolve_on_first_get():
    reg = Registry("thing")
    reg.add("join", "os.path:join")
    import os.path

    assert reg.get("join") is os.path.join


def test_collision_is_an_error_but_reregistering_same_object_is_not():
    reg = Registry("thing")
    reg.add("a", "os.path:join")
    reg.add("a", "os.path:join")
    with pytest.raises(RegistryCollisionError, match="already registered"):
        reg.add("a", "os.path:split", origin="plugin x")


def test_bad_lazy_spec_names_the_problem():
    reg = Registry("thing")
    reg.add("broken", "no_such_module_xyz:attr")
    with pytest.raises(InvbenchError, match="no_such_module_xyz"):
        reg.get("broken")


def test_inverter_options_validate_against_config():
    assert parse_inverter_options(["waveform-adam:steps=5", "noise:std=0.2"]) == {
        "waveform-adam": {"steps": 5},
        "noise": {"std": 0.2},
    }
    assert make_inverter("waveform-adam", {"steps": 5}).config["steps"] == 5
    with pytest.raises(InvbenchError, match="stepz"):
        make_inverter("waveform-adam", {"stepz": 5})
    with pytest.raises(InvbenchError, match="NAME:KEY=VALUE"):
        parse_inverter_options(["steps=5"])


def test_inverter_path_registers_in_process(tmp_path):
    plugin = tmp_path / "my_plugin.py"
    plugin.write_text(
        "from invbench import BaseInverter, register_inverter\n"
        "@register_inverter('file-inverter-test')\n"
        "class FileInverter(BaseInverter):\n"
        "    name = 'file-inverter-test'\n"
        "    families = ('asr',)\n"
    )
    load_python_file(plugin)
    assert make_inverter("file-inverter-test").families == ("asr",)
    with pytest.raises(InvbenchError, match="no such file"):
        load_python_file(tmp_path / "missing.py")
