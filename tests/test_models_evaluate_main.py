"""`python -m pipelines.models.evaluate` (`make eval`) runs `main` only once every function it calls
is defined: the per-language figures at its end used to be defined after the `__main__` guard, so the
whole evaluation ended in a NameError before writing its JSON."""

from __future__ import annotations

import ast
from pathlib import Path

import pipelines.models.evaluate as evaluate


def test_the_main_guard_comes_after_every_definition():
    tree = ast.parse(Path(evaluate.__file__).read_text())
    guard = next(i for i, node in enumerate(tree.body) if isinstance(node, ast.If)
                 and "__main__" in ast.unparse(node.test))
    later = [node.name for node in tree.body[guard + 1:] if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    assert later == []
