"""``invbench.evaluate``: names and objects mixed, and one-line errors before any compute."""

from __future__ import annotations

import pytest

import invbench
from invbench.api.resolve import parse_shard, resolve_inverters, resolve_tasks, seed_list
from invbench.contracts import BaseInverter, InvbenchError, UnknownNameError, config_hash
from invbench.inverters.noise import Noise
from invbench.inverters.random_search import RandomSearch
from invbench.plugins.task_catalog import TaskCatalog


class Unregistered(BaseInverter):
    """A notebook's own inverter: never registered anywhere."""

    name = "my-notebook-method"
    families = ("captioner",)

    def invert(self, problem):
        return []


def test_names_and_instances_mix_in_the_order_given():
    mine, search = Unregistered(), RandomSearch(queries=4)
    resolved = resolve_inverters(["noise", mine, search], {"noise": {"std": 0.2}})
    assert [i.name for i in resolved] == ["noise", "my-notebook-method", "random-search"]
    assert isinstance(resolved[0], Noise) and resolved[0].settings.std == 0.2
    assert resolved[1] is mine and resolved[2] is search
    assert config_hash(resolved[2]) != config_hash(RandomSearch())  # the instance's own config
    [made] = resolve_inverters(Unregistered, None)  # a class with defaults is instantiated
    assert isinstance(made, Unregistered)


def test_tasks_are_names_pinned_names_or_spec_objects():
    catalog = TaskCatalog()
    spec = catalog.get("asr/mini").model_copy(update={"name": "asr/notebook"})
    resolved = resolve_tasks(catalog, ["captioner/mini@1", spec], None)
    assert [s.key for s in resolved] == ["captioner/mini@1", "asr/notebook@1"]
    assert resolved[1] is spec
    assert [s.key for s in resolve_tasks(catalog, None, "smoke")] == ["asr/smoke@1"]
    with pytest.raises(InvbenchError, match="task asr/mini@1 is listed twice"):
        resolve_tasks(catalog, ["asr/mini", "asr/mini@1"], None)
    with pytest.raises(InvbenchError, match="must be a name such as 'asr/mini' or a TaskSpec"):
        resolve_tasks(catalog, [3], None)


def test_repeated_inverters_run_once_and_options_for_absent_names_are_refused():
    notices: list[str] = []
    resolved = resolve_inverters(["noise", "random-search", Noise(), "noise"], None,
                                 notices.append)
    assert [i.name for i in resolved] == ["noise", "random-search"]
    assert len(notices) == 1 and "inverter noise (" in notices[0]
    assert "listed more than once" in notices[0]
    assert len(resolve_inverters(["noise", Noise(std=0.3)], None)) == 2  # two configs: both run
    with pytest.raises(InvbenchError, match="names 'pixels-adam', which is not being run"):
        resolve_inverters(["noise"], {"pixels-adam": {"steps": 3}})


def test_a_non_inverter_object_names_what_it_lacks():
    with pytest.raises(InvbenchError, match=r"neither a registered inverter name nor an "
                                            r"Inverter \(missing \['name', 'version'"):
        resolve_inverters([object()], None)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tasks": "captioner/mni"}, "unknown task 'captioner/mni'; did you mean 'captioner/mini'"),
    ({"tasks": "captioner/mini@7"}, "unknown version 'captioner/mini@7' (available: "),
    ({"tasks": "captioner/mini", "inverters": ["nosie"]},
     "unknown inverter 'nosie'; did you mean 'noise'"),
    ({"suite": "mnii"}, "unknown suite 'mnii'; did you mean 'mini'"),
    ({"tasks": "captioner/mini", "suite": "mini"}, "give tasks or a suite, not both"),
    ({"tasks": "captioner/mini", "inverters": ["noise"], "limit": 0},
     "limit 0 must be a positive integer"),
    ({"tasks": "captioner/mini", "inverters": ["noise"], "seeds": "0,x"},
     "seeds '0,x' must be integers"),
    ({"tasks": "captioner/mini", "inverters": ["noise"], "shard": "3/2"},
     "shard '3/2' must be i/N"),
])  # fmt: skip
def test_bad_input_is_one_line_and_stops_before_compute(kwargs, message, tmp_path):
    with pytest.raises(InvbenchError) as info:
        invbench.evaluate(out=tmp_path / "run", progress=False, **kwargs)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert not (tmp_path / "run").exists()  # nothing was started


def test_unknown_names_are_unknown_name_errors(tmp_path):
    with pytest.raises(UnknownNameError):
        invbench.evaluate(tasks="asr/mini", inverters="waveform-adm", out=tmp_path)


def test_settings_parse_like_the_command_line():
    assert parse_shard("2/4") == parse_shard((2, 4)) == (2, 4)
    assert parse_shard(None) is None
    assert seed_list("0, 1") == seed_list([0, 1]) == [0, 1]
    assert seed_list(3) == [3] and seed_list(None) is None
    with pytest.raises(InvbenchError):
        seed_list([0.5])
