"""Size limits over every module of ``invbench/``: no module over 300 lines, no function over 60.

No exemption list: a module or function that outgrows the limit is split along its concepts.
A function's length runs from its ``def`` line (decorators excluded) to its last line, so a long
docstring counts; a nested function counts within its parent and on its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
PACKAGE = Path(__file__).resolve().parents[1] / "invbench"  # the checkout's own source


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_assets" not in p.parts)


def _function_lengths(path: Path) -> list[tuple[str, int, int]]:
    """(qualified name, first line, line count) of every function and method in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = f"{prefix}{getattr(child, 'name', '')}"
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((name, child.lineno, child.end_lineno - child.lineno + 1))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def test_the_package_is_found() -> None:
    # guards the two size tests below against passing on an empty list
    assert len(_modules()) > 100


def test_no_module_over_300_lines() -> None:
    over = [f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not over, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(over)


def test_no_function_over_60_lines() -> None:
    over = [f"{p.relative_to(PACKAGE.parent)}:{line} {name}: {n} lines"
            for p in _modules() for name, line, n in _function_lengths(p)
            if n > MAX_FUNCTION_LINES]
    assert not over, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(over)


def test_the_function_counter_measures_what_it_claims(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    module = tmp_path / "sample.py"
    module.write_text(f"class A:\n    def method(self):\n        pass\n\ndef long():\n{body}\n")
    assert _function_lengths(module) == [("A.method", 2, 2), ("long", 5, 62)]
