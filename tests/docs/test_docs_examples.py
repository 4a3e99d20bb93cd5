"""The examples in docs/ run as a reader would run them, and the pages link up.

A page marks what a test runs with an HTML comment on the line before a fenced block:

- ``<!-- test: file PATH -->``: the block is written to PATH (in a fresh folder for the page);
- ``<!-- test: run -->``: a ``python`` block, run as a script in that folder;
- ``<!-- test: shell -->``: a ``bash`` block, run there with ``invbench`` meaning this checkout.

A page's steps run in order, in one folder, each in its own process with this checkout first on
``PYTHONPATH``. Unmarked blocks are fragments and are not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
MARKER = re.compile(r"^<!-- test: (run|shell|file (\S+)) -->\s*$")
FENCE = re.compile(r"^```([\w-]*)\s*$")
LANGUAGES = {"run": ("python",), "shell": ("bash", "sh")}


@dataclass(frozen=True)
class Step:
    kind: str  # "run", "shell" or "file"
    path: str | None  # for "file"
    code: str
    line: int  # where the marker is, for messages


def steps_of(page: Path) -> list[Step]:
    """The marked blocks of ``page``, in order; a malformed marker fails loudly."""
    lines = page.read_text(encoding="utf-8").splitlines()
    steps = []
    for number, line in enumerate(lines):
        found = MARKER.match(line)
        if not found:
            continue
        where = f"{page.relative_to(REPO)}:{number + 1}"
        fence = FENCE.match(lines[number + 1]) if number + 1 < len(lines) else None
        assert fence, f"{where}: a test marker must be followed directly by a fenced block"
        kind = found.group(1).split()[0]
        assert fence.group(1) in LANGUAGES.get(kind, (fence.group(1),)), \
            f"{where}: a '{kind}' block must be {' or '.join(LANGUAGES[kind])}"
        end = next((k for k in range(number + 2, len(lines)) if lines[k].startswith("```")), None)
        assert end is not None, f"{where}: the fenced block is never closed"
        steps.append(Step(kind, found.group(2), "\n".join(lines[number + 2:end]) + "\n",
                          number + 1))
    return steps


RUNNABLE = [page for page in PAGES if steps_of(page)]


def shell_script(code: str) -> str:
    """``code`` with ``invbench`` and ``python`` bound to this interpreter and checkout."""
    return (f"set -euo pipefail\n"
            f"invbench() {{ '{sys.executable}' -m invbench.cli.main \"$@\"; }}\n"
            f"python() {{ '{sys.executable}' \"$@\"; }}\n{code}")


def run_step(step: Step, index: int, folder: Path, page: Path) -> None:
    if step.kind == "file":
        target = folder / step.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(step.code, encoding="utf-8")
        return
    script = folder / f"_step{index}.{'py' if step.kind == 'run' else 'sh'}"
    script.write_text(step.code if step.kind == "run" else shell_script(step.code))
    command = [sys.executable if step.kind == "run" else "bash", str(script)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(folder)])}
    proc = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, (
        f"{page.relative_to(REPO)}:{step.line}: the {step.kind} block failed "
        f"(exit {proc.returncode})\n--- stdout\n{proc.stdout[-3000:]}\n"
        f"--- stderr\n{proc.stderr[-5000:]}")


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(p.relative_to(DOCS)) for p in RUNNABLE])
def test_page_examples_run(page, tmp_path):
    steps = steps_of(page)
    assert any(step.kind != "file" for step in steps), f"{page}: files are written, never used"
    for index, step in enumerate(steps):
        run_step(step, index, tmp_path, page)


EXTENSION_PAGES = ["inverter", "forward-model", "metric", "task", "target-set"]


@pytest.mark.parametrize("name", EXTENSION_PAGES)
def test_every_extension_point_has_a_runnable_example(name):
    page = DOCS / "extend" / f"{name}.md"
    assert page in RUNNABLE, f"{page} has no runnable example"
    assert any(step.kind == "run" for step in steps_of(page)), f"{page}: no python example"


LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


def test_relative_links_resolve_and_every_page_is_reachable():
    reached = {DOCS / "index.md"}
    for page in PAGES:
        for target, _anchor in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue  # an external address
            resolved = (page.parent / target).resolve()
            assert resolved.exists(), f"{page.relative_to(REPO)}: broken link {target!r}"
            reached.add(resolved)
    missing = [str(p.relative_to(REPO)) for p in PAGES if p.resolve() not in reached]
    assert not missing, f"pages no other page links to: {missing}"


def test_the_architecture_page_draws_the_flow_twice():
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    assert "```mermaid" in text and "```text" in text


def test_nothing_cites_a_design_file_the_repository_does_not_ship():
    name = "DESIGN" + ".md"  # spelt apart so that this file does not match itself
    roots = [REPO / "invbench", REPO / "tests", REPO / "benchmarks", DOCS]
    found = [str(p.relative_to(REPO)) for root in roots for p in root.rglob("*")
             if p.is_file() and p.suffix in {".py", ".md", ".yaml", ".toml"}
             and name in p.read_text(encoding="utf-8", errors="replace")]
    found += ["README.md"] if name in (REPO / "README.md").read_text(encoding="utf-8") else []
    assert not found, f"these files cite {name}, which the repository does not ship: {found}"
