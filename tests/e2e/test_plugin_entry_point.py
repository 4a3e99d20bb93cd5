"""A third-party inverter, pip-installed separately, found only through its entry point."""

import subprocess
import sys
import textwrap

from helpers import invbench, records

PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "invbench-demo-plugin"
version = "0.0.1"

[project.entry-points."invbench.inverters"]
demo-silence-plus = "invbench_demo_plugin:DemoInverter"
"""

MODULE = '''
import torch
from invbench import BaseInverter, Inversion, Waveform


class DemoInverter(BaseInverter):
    """Quiet noise: a stand-in for someone's new method."""

    name = "demo-silence-plus"
    version = "0.0.1"
    families = ("asr",)
    description = "demo plug-in from a separate package"

    def invert(self, problem):
        return [Inversion(x=Waveform(torch.randn(16000, generator=problem.generator(i)) * 1e-3,
                                     16000)) for i in range(len(problem.targets))]
'''


def test_entry_point_inverter_is_listed_and_runs(include_path, tmp_path):
    package = tmp_path / "plugin"
    (package / "invbench_demo_plugin").mkdir(parents=True)
    (package / "pyproject.toml").write_text(PYPROJECT)
    (package / "invbench_demo_plugin" / "__init__.py").write_text(textwrap.dedent(MODULE))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(site), str(package)], check=True)
    env = {"PYTHONPATH": str(site)}

    listing = invbench("inverters", env=env).stdout
    assert "demo-silence-plus" in listing and "entry point" in listing
    assert "demo-silence-plus" not in invbench("inverters").stdout  # only via the package

    run = tmp_path / "run"
    invbench("evaluate", "--include-path", str(include_path), "--tasks", "asr/tiny",
             "--inverters", "demo-silence-plus", "--limit", "2", "--out", str(run),
             "--no-progress", env=env)
    got = records(run)
    assert len(got) == 2 and {r["status"] for r in got.values()} == {"ok"}
    assert all(r["inverter"] == "demo-silence-plus" for r in got.values())
