"""The paper lane's lock (lanes/paper/lock.txt, docs/paper-lane.md) agrees with what it is built
from, checked in the main suite so that a drift fails here, in seconds, rather than in the lane:
every top-level pin of ``requirements.in`` is in the lock at that version, every requirement of
invbench's ``pyproject.toml`` is satisfied by the lock, and CI runs the lane after the suite."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LANE = REPO / "lanes" / "paper"


def pins(path: Path) -> dict[str, str]:
    """``name == version`` lines of a requirements file, by canonical name."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            [spec] = requirement.specifier  # the lane pins exactly, one version a package
            assert spec.operator == "==", f"{path.name}: {line} is not an exact pin"
            found[canonicalize_name(requirement.name)] = spec.version
    return found


def test_every_top_level_pin_is_locked_at_its_version():
    lock, top = pins(LANE / "lock.txt"), pins(LANE / "requirements.in")
    assert {"chatterbox-tts", "torch", "torchaudio", "torchvision"} <= top.keys()
    assert {name: lock.get(name) for name in top} == top


def test_the_lock_satisfies_invbenchs_own_requirements():
    lock = pins(LANE / "lock.txt")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    unmet = []
    for line in project["dependencies"]:
        requirement = Requirement(line)
        version = lock.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            unmet.append(f"{line} (lock: {version})")
    assert not unmet, f"regenerate lanes/paper/lock.txt (docs/paper-lane.md): {unmet}"


def test_ci_runs_the_lane_after_the_main_suite():
    steps = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
             if line.startswith("make ")]
    assert steps[-2:] == ["make test", "make test-paper-lane"]
    makefile = (REPO / "Makefile").read_text()
    assert "test-paper-lane:\n\tPYTHON=$(PYTHON) bash lanes/paper/run.sh" in makefile
