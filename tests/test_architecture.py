"""Contracts on the code itself: settings travel with the run, so nothing writes the environment."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipelines", "analytics", "dashboard")


def _modules() -> list[Path]:
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    return files + [ROOT / "app.py"]


def _environ_writes(tree: ast.AST) -> list[int]:
    """Lines that assign to, delete from or call a mutating method of `os.environ`, or call `os.putenv`."""
    def is_environ(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
            isinstance(node, ast.Name) and node.id == "environ")

    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else (
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        if any(isinstance(t, ast.Subscript) and is_environ(t.value) for t in targets):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if is_environ(func.value) and func.attr in {"setdefault", "update", "pop", "popitem", "clear"}:
                lines.append(node.lineno)
            if func.attr in {"putenv", "unsetenv"}:
                lines.append(node.lineno)
    return sorted(lines)


def test_the_checker_sees_each_kind_of_write() -> None:
    code = ("import os\nos.environ['A'] = '1'\nos.environ.setdefault('B', '1')\nos.putenv('C', '1')\n"
            "del os.environ['A']\nos.environ.update(D='1')\nx = os.environ.get('E')\n")
    assert _environ_writes(ast.parse(code)) == [2, 3, 4, 5, 6]


def test_no_module_writes_the_environment() -> None:
    found = {}
    for path in _modules():
        lines = _environ_writes(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if lines:
            found[str(path.relative_to(ROOT))] = lines
    assert found == {}, f"os.environ written (pass settings down instead, pipelines.config): {found}"
