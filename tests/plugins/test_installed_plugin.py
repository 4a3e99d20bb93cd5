"""A real installed package extends invbench through entry points alone.

The package ships the README's inverter example verbatim (decorated with ``@register_inverter``
*and* declared with the README's entry point: one registration, not a collision), a metric, a
forward model and a task pack holding a task and its target set. It is pip-installed into a
folder and used from a subprocess, as a user would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from target_fixtures import build_include_path

from invbench.store.run_store import RunStore

REPO = Path(__file__).resolve().parents[2]

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "invbench-readme-plugin"
version = "0.0.1"

[tool.setuptools]
packages = ["my_package"]

[tool.setuptools.package-data]
my_package = ["tasks/*.yaml", "targets/**/*"]

[project.entry-points."invbench.metrics"]
transcript_words = "my_package.metric:TranscriptWords"

[project.entry-points."invbench.models"]
my-whisper = "my_package.model:make_whisper"

[project.entry-points."invbench.tasks"]
my-pack = "my_package"

"""

METRIC = '''\
from typing import Any

from invbench import Metric, MetricOutput, register_metric


@register_metric("transcript_words")
class TranscriptWords(Metric):
    """Words in the transcript of the recovered audio."""

    name = "transcript_words"
    description = "words in the forward model's transcript"
    requires = ("hypothesis",)
    outputs = (MetricOutput("transcript_words", False, (0.0, 1e9), "word count"),)

    def score_item(self, hypothesis: str, **_: Any) -> dict[str, float]:
        return {"transcript_words": float(len(hypothesis.split()))}
'''

MODEL = '''\
def make_whisper(device="cpu", **options):
    """Whisper, reached through this package's own model name."""
    from invbench.plugins.catalog import MODELS

    return MODELS.get("whisper")(device=device, **options)
'''


def readme_blocks() -> tuple[str, str]:
    """The README's "Adding an inverter" Python example and its entry-point TOML, verbatim."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Adding an inverter", 1)[1].split("\n## ", 1)[0]
    python = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    toml = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    return python, toml


def build_package(root: Path) -> Path:
    python, toml = readme_blocks()
    assert '@register_inverter("my-method")' in python and '"my_package:MyMethod"' in toml
    package = build_include_path(root / "my_package")  # tasks/tiny.yaml and targets/
    task = (package / "tasks" / "tiny.yaml").read_text()
    task = task.replace("name: asr/tiny", "name: asr/plugin-tiny")
    task = task.replace("id: whisper", "id: my-whisper").replace("snr]", "snr, transcript_words]")
    (package / "tasks" / "tiny.yaml").write_text(task)
    (package / "__init__.py").write_text(python)
    (package / "metric.py").write_text(METRIC)
    (package / "model.py").write_text(MODEL)
    (root / "pyproject.toml").write_text(PYPROJECT + toml)
    return root


def invbench(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "invbench.cli.main", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=600)
    assert proc.returncode == 0, f"invbench {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout


def row(listing: str, name: str) -> str:
    return next(line for line in listing.splitlines() if line.startswith(name + " "))


def test_installed_package_plugs_in_an_inverter_model_metric_and_task_pack(tmp_path):
    source = build_package(tmp_path / "src")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(site), str(source)], check=True)
    assert (site / "my_package" / "targets" / "transcripts-tiny" / "manifest.json").is_file()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    origin = "(invbench-readme-plugin 0.0.1)"

    inverter = row(invbench(env, "inverters"), "my-method")
    assert f"entry point my_package:MyMethod {origin}" in inverter and "asr" in inverter
    metric = row(invbench(env, "metrics"), "transcript_words")
    assert f"entry point my_package.metric:TranscriptWords {origin}" in metric
    assert f"entry point my_package.model:make_whisper {origin}" in row(
        invbench(env, "models"), "my-whisper")
    assert "asr/plugin-tiny" in invbench(env, "tasks")

    run = tmp_path / "run"
    invbench(env, "evaluate", "--tasks", "asr/plugin-tiny", "--inverters", "my-method",
             "--limit", "1", "--out", str(run), "--no-progress")
    (record,) = RunStore(run).latest_records().values()
    assert record.status == "ok" and record.inverter == "my-method"
    assert record.scores["transcript_words"] >= 0.0 and "exact_match" in record.scores
