"""The modules of ``akhbar/`` import each other without cycles.

The rule: every ``import`` and ``from … import`` of a module — at module level or inside a
function, under ``if``/``try`` or not — counts, except those under ``if TYPE_CHECKING:``
(they name types for the checker and never run); together they form a directed acyclic graph.
A function-level import is how a command reaches a heavier layer only when it needs it (the
CLI importing scrapy's crawler, ``backfill`` handing a window to the crawler); it must still
point downwards: a cycle hidden in a function makes the result depend on which module is loaded
first, and shows two modules that are really one.

An edge goes to the module named: ``from akhbar.storage import repository`` to
``akhbar.storage.repository`` when that is a module, ``from akhbar.storage import Repository``
to the package ``akhbar.storage``.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import akhbar

ROOT = Path(akhbar.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement under ``body``, leaving out ``if TYPE_CHECKING:`` blocks."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            found += _imports(node.orelse)
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                found += _imports([child])
            else:  # statements sit in bodies of excepthandlers, match cases ...
                found += _imports(
                    [n for n in ast.iter_child_nodes(child) if isinstance(n, ast.stmt)]
                )
    return found


def _targets(
    module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]
) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    if node.level:  # relative: resolve against this module's package
        package = module if is_package else module.rsplit(".", 1)[0]
        for _ in range(node.level - 1):
            package = package.rsplit(".", 1)[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    targets: list[str] = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in known:
            targets.append(sub)
        elif base in known:
            targets.append(base)
    return targets


def import_graph() -> dict[str, set[str]]:
    """Each module of akhbar/ and the akhbar modules it imports."""
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    known = set(files)
    graph: dict[str, set[str]] = {module: set() for module in known}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _imports(tree.body):
            graph[module].update(
                t for t in _targets(module, is_package, node, known) if t != module
            )
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_imports_form_a_dag() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle between akhbar modules: " + " -> ".join(cycle or [])


def test_the_check_sees_imports_and_cycles() -> None:
    """The check can fail: the graph holds the edges modules really make, and a cycle added
    to it is found."""
    graph = import_graph()
    assert "akhbar.backfill_window" in graph["akhbar.crawler.backfill"]
    assert "akhbar.source_run" in graph["akhbar.backfill"]
    assert "akhbar.storage" in graph["akhbar.pipeline"]  # ``from akhbar.storage import X``
    # backfill reaches the crawler from inside a function: an edge all the same
    assert "akhbar.crawler.backfill" in graph["akhbar.backfill"]
    # the unit of work names the Ingestor for the type checker only: no edge
    assert "akhbar.pipeline" not in graph["akhbar.unit_of_work"]
    graph["akhbar.backfill_window"].add("akhbar.crawler.backfill")
    cycle = find_cycle(graph)
    assert cycle is not None and "akhbar.backfill_window" in cycle
