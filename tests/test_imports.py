"""linker's modules import one another without a cycle (module-level imports; a package counts as its
``__init__``), so each can be read, tested and moved on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "linker"


def module_graph(package: Path) -> nx.DiGraph:
    """An edge from each module to each linker module it imports at module level."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module in modules:
                # a name imported from a package is its submodule when there is one of that name
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                           for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name in modules]
            else:
                continue
            graph.add_edges_from((name, t) for t in targets if t != name)
    return graph


def test_no_module_of_linker_is_in_an_import_cycle() -> None:
    assert sorted(nx.simple_cycles(module_graph(PACKAGE))) == []


def test_the_check_finds_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg.sub import a\n")
    (package / "sub" / "a.py").write_text("from pkg.sub import helper\n")
    assert list(nx.simple_cycles(module_graph(package))) != []
