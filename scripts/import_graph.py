"""The import graph of ``src/simulacra`` and the architecture measures of issue #17.

Run: python scripts/import_graph.py [--cycles] [--upward] [--write-doc]

The layers of the package are defined here, once (:data:`LAYERS`); ``--write-doc`` writes them
into ``docs/architecture.md`` (between the ``layers`` markers) and the contract test checks that
the document says what this list says.

Prints, for the package as it is on disk (parsed, not imported):

- module-level import cycles (strongly connected components of more than one module), counting
  that importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first;
- the same with function-local imports counted as edges (a local import that closes a cycle only
  defers it to call time);
- imports from a lower layer to a higher one, at module level and function-local;
- function-local imports (outside ``cli/``), imports of another package's private ``_module``,
  modules over 400 lines.

``tests/unit/test_import_contract.py`` keeps the module-level graph acyclic, refuses any
module-level upward import not in :data:`KNOWN_UPWARD` and caps the function-local ones.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DOC = ROOT / "docs" / "architecture.md"


@dataclass(frozen=True)
class Layer:
    """One floor of the package: its top-level packages/modules and what they are for."""

    members: tuple[str, ...]
    about: str


LAYERS: tuple[Layer, ...] = (
    Layer(("cli", "__main__"), "one module per command; the error boundary of every command"),
    Layer(
        ("viewer", "recipes", "testing", "pytest_plugin", "_pytest_support"),
        "local web pages and report; recipes; test doubles, pytest plug-in",
    ),
    Layer(("robustness", "rl", "training"), "perturbed runs; RL environments; fine-tuning users"),
    Layer(("runs",), "YAML config -> run directory (runner, store, accounting, play)"),
    Layer(("evaluation",), "metrics, judges, fidelity, audit, meta-evaluation over conversations"),
    Layer(("paradigms",), "what interaction is simulated (registered runners, registry)"),
    Layer(("orchestration",), "the pure conversation loop and turn-taking policies"),
    Layer(("participants",), "everything that speaks: simulated users, targets, the validity gate"),
    Layer(
        ("datasets", "memory", "generation"),
        "real corpora in their original formats; retrieval over passages; personas a model writes",
    ),
    Layer(("models", "prompts"), "provider adapters that only translate; versioned templates"),
    Layer(
        ("log",),
        "the run directory format for readers: run.json, conversations.jsonl, schema version",
    ),
    Layer(
        ("conversation", "profiles", "scenarios"),
        "the data everything passes around: turns, views, participants, who is simulated and "
        "what they want (goals, the ontology, scenarios)",
    ),
    Layer(
        (
            "errors",
            "_json",
            "_validation",
            "_signals",
            "_secrets",
            "_yaml_strict",
            "_plugins",
            "_atomic",
            "_version",
        ),
        "errors and helpers: JSON, validation, signals, secrets, YAML, plug-ins, atomic writes",
    ),
)
"""Top to bottom. A module may import its own layer and those below it, never one above (at
module level; function-local upward imports are counted and capped by the contract test)."""

KNOWN_UPWARD: frozenset[tuple[str, str]] = frozenset()
"""Module-level upward imports tolerated: none since issue #17 moved goals into ``scenarios/``
and the voice scorer's training data next to the scorer. The contract test fails on any upward
import not listed here (keep it empty)."""


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


def layer_of(module: str) -> int | None:
    """Index of a module's layer in :data:`LAYERS` (0 is the top); ``None`` for the root."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    for i, layer in enumerate(LAYERS):
        if parts[1] in layer.members:
            return i
    raise KeyError(f"{module}: its top-level name {parts[1]!r} is in no layer of LAYERS")


def upward(graph: Graph) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Imports from a lower layer to a higher one: (module-level, function-local only)."""

    def up(edges: dict[str, set[str]], skip: dict[str, set[str]]) -> list[tuple[str, str]]:
        out = []
        for module, targets in edges.items():
            low = layer_of(module)
            for target in sorted(targets - skip.get(module, set())):
                high = layer_of(target)
                if low is not None and high is not None and high < low:
                    out.append((module, target))
        return sorted(out)

    return up(graph.module_level, {}), up(graph.any_level, graph.module_level)


def render_layers() -> str:
    """The layer diagram of ``docs/architecture.md`` (a code block's body)."""
    rows = []
    for layer in LAYERS:
        names = "  ".join(
            m + ("/" if (SRC / "simulacra" / m).is_dir() else ".py") for m in layer.members
        )
        rows.append(f"  {names:<26}{layer.about}" if len(names) < 26 else f"  {names}")
        if len(names) >= 26:
            rows.append(f"  {'':<26}{layer.about}")
    return "\n".join(rows) + "\n"


_BEGIN, _END = (
    "<!-- layers: begin (python scripts/import_graph.py --write-doc) -->",
    "<!-- layers: end -->",
)


def doc_layers(text: str) -> str | None:
    """The layer block of the architecture document (``None`` when its markers are missing)."""
    start, end = text.find(_BEGIN), text.find(_END)
    if start < 0 or end < start:
        return None
    block = text[start + len(_BEGIN) : end].strip("\n")
    return block.removeprefix("```").removesuffix("```").strip("\n") + "\n"


def write_doc(path: Path = DOC) -> None:
    """Rewrite the layer block of the architecture document from :data:`LAYERS`."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(_BEGIN), text.find(_END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: no layer markers ({_BEGIN} ... {_END})")
    block = f"{_BEGIN}\n```\n{render_layers()}```\n"
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")


def _loop_targets(node: ast.AST) -> set[str]:
    target = getattr(node, "target", None)
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)} if target else set()


def io_sites(graph: Graph) -> tuple[int, int]:
    """(atomic-write sites: ``os.replace`` calls; JSONL-reader sites: ``json.loads`` of the
    variable of an enclosing ``for`` loop or comprehension, i.e. one JSON value per line)."""
    writes = readers = 0
    for path in graph.files.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node: ast.AST, loop_vars: frozenset[str]) -> None:
            nonlocal writes, readers
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name == "os.replace":
                    writes += 1
                arg = node.args[0] if node.args else None
                if name == "json.loads" and isinstance(arg, ast.Name) and arg.id in loop_vars:
                    readers += 1
            if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                loop_vars = loop_vars | _loop_targets(node)
            if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
                for gen in node.generators:
                    loop_vars = loop_vars | _loop_targets(gen)
            for child in ast.iter_child_nodes(node):
                visit(child, loop_vars)

        visit(tree, frozenset())
    return writes, readers


def measures(graph: Graph) -> dict[str, int]:
    """The numbers issue #17 tracks."""
    top, every = cycles(graph.module_level), cycles(graph.any_level)
    up_top, up_local = upward(graph)
    writes, readers = io_sites(graph)
    return {
        "modules": len(graph.files),
        "module_level_cycles": len(top),
        "module_level_largest_cycle": max(map(len, top), default=0),
        "cycles_with_local_imports": len(every),
        "largest_cycle_with_local_imports": max(map(len, every), default=0),
        "upward_imports_module_level": len(up_top),
        "upward_imports_function_local": len(up_local),
        "local_imports_outside_cli": sum(
            1 for m, _ in graph.local_imports if not m.startswith("simulacra.cli")
        ),
        "private_cross_package_imports": len(graph.private_imports),
        "modules_over_400_lines": sum(
            1 for p in graph.files.values() if len(p.read_text(encoding="utf-8").splitlines()) > 400
        ),
        "atomic_write_sites": writes,
        "jsonl_reader_sites": readers,
    }


def main() -> None:
    if "--write-doc" in sys.argv:
        write_doc()
    graph = build()
    for name, value in measures(graph).items():
        print(f"{name:36} {value}")
    if "--cycles" in sys.argv:
        for component in cycles(graph.module_level) or cycles(graph.any_level):
            print(" ".join(component))
    if "--upward" in sys.argv:
        top, local = upward(graph)
        for kind, found in (("module-level", top), ("function-local", local)):
            for module, target in found:
                print(f"{kind:15} {module} -> {target}")


if __name__ == "__main__":
    main()
