"""Contracts on the code itself: no import circle, nothing writes the environment, no replacement scans.

Imports are read with `ast`, the lazy ones inside functions included (a circle closed by a lazy
import is still a circle: neither module can be read or moved without the other). Only
`if TYPE_CHECKING:` blocks are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipelines", "analytics", "dashboard")


def _modules() -> list[Path]:
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    return files + [ROOT / "app.py"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Project modules `path` imports: `from a.b import c` is `a.b.c` when that is a module, else `a.b`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    typing_only = {id(node) for block in ast.walk(tree)
                   if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                   for node in ast.walk(block)}
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found |= {full} if full in modules else ({base} if base in modules else set())
    return found - {name}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_cycle_finder_finds_a_lazy_circle() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    paths = [p for p in _modules() if p.name != "app.py"]
    modules = {_module_name(p) for p in paths}
    graph = {_module_name(p): _imports(p, modules) for p in paths}
    wired = {"pipelines.enrich.stage", "pipelines.topics.stage", "analytics.build"}
    assert graph["pipelines.stages"] >= wired  # the stages are imported, not named in strings
    assert import_cycles(graph) == []


def _environ_writes(tree: ast.AST) -> list[int]:
    """Lines that assign to, delete from or call a mutating method of `os.environ`, or call `os.putenv`."""
    def is_environ(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
            isinstance(node, ast.Name) and node.id == "environ")

    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else (
            [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
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


def _reads_python_variable(con) -> bool:
    """True when SQL on `con` finds an unregistered local DataFrame by its variable's name."""
    import duckdb
    import pandas as pd

    unregistered_frame = pd.DataFrame({"x": [1]})
    assert len(unregistered_frame) == 1
    try:
        con.execute("SELECT x FROM unregistered_frame").fetchall()
    except duckdb.CatalogException:
        return False
    return True


def test_replacement_scans_are_off_on_the_projects_connections(tmp_path: Path) -> None:
    """A Python table reaches SQL only when registered: a renamed variable fails loudly."""
    import duckdb
    import pandas as pd

    from dashboard import data
    from pipelines import warehouse

    assert _reads_python_variable(duckdb.connect(":memory:"))  # the default this guards against
    db = tmp_path / "voc.duckdb"
    con = warehouse.connect(db)
    assert not _reads_python_variable(con)
    assert not _reads_python_variable(con.cursor())
    with warehouse.registered(con, frame=pd.DataFrame({"x": [7]})):
        assert con.execute("SELECT x FROM frame").fetchall() == [(7,)]
    con.close()
    assert not _reads_python_variable(warehouse.connect(":memory:"))
    stat = db.stat()
    serving = data._connection(data.Snapshot(str(db), stat.st_ino, stat.st_mtime_ns))
    assert not _reads_python_variable(serving.cursor())
