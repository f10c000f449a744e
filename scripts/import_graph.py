"""The import graph of ``src/simulacra`` and the architecture measures of issue #17.

Run: python scripts/import_graph.py [--cycles]

Prints, for the package as it is on disk (parsed, not imported):

- module-level import cycles (strongly connected components of more than one module), counting
  that importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first;
- the same with function-local imports counted as edges (a local import that closes a cycle only
  defers it to call time);
- function-local imports (outside ``cli/``), imports of another package's private ``_module``,
  modules over 400 lines.

``tests/unit/test_import_contract.py`` keeps the module-level graph acyclic.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass
class Graph:
    """Modules and their imports of other ``simulacra`` modules."""

    files: dict[str, Path]
    module_level: dict[str, set[str]] = field(default_factory=dict)
    any_level: dict[str, set[str]] = field(default_factory=dict)
    local_imports: list[tuple[str, str]] = field(default_factory=list)
    private_imports: list[tuple[str, str]] = field(default_factory=list)


def _modules(src: Path) -> dict[str, Path]:
    out = {}
    for path in sorted((src / "simulacra").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _targets(module: str, node: ast.Import | ast.ImportFrom, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        name = ".".join([*base, *([node.module] if node.module else [])])
    else:
        name = node.module or ""
    return [name, *(f"{name}.{a.name}" for a in node.names)]


def _owner(name: str, files: dict[str, Path]) -> str | None:
    while name and name not in files:
        name = name.rpartition(".")[0]
    return name or None


def _with_parents(names: Iterable[str], files: dict[str, Path], own: str) -> set[str]:
    out = set()
    for name in names:
        parts = name.split(".")
        for k in range(1, len(parts) + 1):
            q = ".".join(parts[:k])
            if q in files and q != own and not own.startswith(q + "."):
                out.add(q)
    return out


def build(src: Path = SRC) -> Graph:
    """Parse every module of ``src/simulacra`` (``if TYPE_CHECKING:`` blocks ignored)."""
    files = _modules(src)
    graph = Graph(files)
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        top: set[str] = set()
        every: set[str] = set()

        def visit(node: ast.AST, local: bool, module: str = module, is_package: bool = is_package,
                  top: set[str] = top, every: set[str] = every) -> None:  # fmt: skip
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                if isinstance(child, ast.Import | ast.ImportFrom):
                    names = [
                        o
                        for t in _targets(module, child, is_package)
                        if t.startswith("simulacra") and (o := _owner(t, files))
                    ]
                    (every if local else top).update(names)
                    if local and names:
                        graph.local_imports.append((module, names[0]))
                    for name in names:
                        pkg, mine = name.split("."), module.split(".")
                        if len(pkg) > 2 and pkg[2].startswith("_") and pkg[1] != mine[1]:
                            graph.private_imports.append((module, name))
                    continue
                inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                visit(child, local or inner)

        visit(tree, False)
        graph.module_level[module] = _with_parents(top, files, module)
        graph.any_level[module] = graph.module_level[module] | _with_parents(every, files, module)
    return graph


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def measures(graph: Graph) -> dict[str, int]:
    """The numbers issue #17 tracks."""
    top, every = cycles(graph.module_level), cycles(graph.any_level)
    return {
        "modules": len(graph.files),
        "module_level_cycles": len(top),
        "module_level_largest_cycle": max(map(len, top), default=0),
        "cycles_with_local_imports": len(every),
        "largest_cycle_with_local_imports": max(map(len, every), default=0),
        "local_imports_outside_cli": sum(
            1 for m, _ in graph.local_imports if not m.startswith("simulacra.cli")
        ),
        "private_cross_package_imports": len(graph.private_imports),
        "modules_over_400_lines": sum(
            1 for p in graph.files.values() if len(p.read_text(encoding="utf-8").splitlines()) > 400
        ),
    }


def main() -> None:
    graph = build()
    for name, value in measures(graph).items():
        print(f"{name:36} {value}")
    if "--cycles" in sys.argv:
        for component in cycles(graph.module_level) or cycles(graph.any_level):
            print(" ".join(component))


if __name__ == "__main__":
    main()
