"""Fences on the import graph (issue #17): ``scripts/import_graph.py`` parses ``src/simulacra``
and these tests keep what it measures from getting worse."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts/import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return module


def test_the_module_level_import_graph_has_no_cycle() -> None:
    tool = _tool()
    found = tool.cycles(tool.build().module_level)
    assert found == [], "module-level import cycle: " + " -> ".join(found[0])


def test_the_cycle_finder_finds_a_cycle_and_its_members() -> None:
    tool = _tool()
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert tool.cycles(edges) == [["a", "b", "c"]]
    assert tool.cycles({"a": {"b"}, "b": set()}) == []


def test_importing_a_submodule_counts_its_packages(tmp_path: Path) -> None:
    tool = _tool()
    pkg = tmp_path / "simulacra"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("from simulacra.high import X\n")
    (pkg / "low" / "_data.py").write_text("X = 1\n")
    (pkg / "high.py").write_text("from simulacra.low._data import X\n")
    graph = tool.build(tmp_path)
    # high imports low._data, which runs low/__init__, which imports high: a cycle
    expected = [["simulacra.high", "simulacra.low"]]
    assert tool.cycles(graph.module_level) == expected


# The layers contract: LAYERS in scripts/import_graph.py, written into docs/architecture.md.

UPWARD_FUNCTION_LOCAL_CEILING = 0
"""Function-local imports from a lower layer to a higher one (2026-12-07: 20, then 7, then 0
once issue #17 gave goals a ``scenarios/`` package and moved the voice data, profile rendering
and the torch base loader to the layers that use them). A local import defers an upward
dependency to call time; keep it at 0 (``python scripts/import_graph.py --upward``)."""


def test_no_cycle_even_through_function_local_imports() -> None:
    tool = _tool()
    found = tool.cycles(tool.build().any_level)
    assert found == [], "import cycle through a function-local import: " + " -> ".join(found[0])


def test_no_module_level_import_goes_up_a_layer() -> None:
    tool = _tool()
    top, _ = tool.upward(tool.build())
    new = [f"{m} -> {t}" for m, t in top if (m, t) not in tool.KNOWN_UPWARD]
    assert new == [], (
        "upward import (a lower layer imports a higher one; see docs/architecture.md): "
        + "; ".join(new)
    )
    gone = sorted(f"{m} -> {t}" for m, t in tool.KNOWN_UPWARD - set(top))
    assert gone == [], "remove from KNOWN_UPWARD in scripts/import_graph.py: " + "; ".join(gone)


def test_function_local_upward_imports_only_go_down() -> None:
    tool = _tool()
    _, local = tool.upward(tool.build())
    assert len(local) <= UPWARD_FUNCTION_LOCAL_CEILING, (
        f"{len(local)} function-local upward imports (ceiling {UPWARD_FUNCTION_LOCAL_CEILING}): "
        + "; ".join(f"{m} -> {t}" for m, t in local)
    )


def test_every_top_level_module_is_in_a_layer() -> None:
    tool = _tool()
    homeless = []
    for module in tool.build().files:
        try:
            tool.layer_of(module)
        except KeyError as exc:
            homeless.append(str(exc))
    assert homeless == [], homeless


def test_the_architecture_document_shows_the_layers_of_the_contract() -> None:
    tool = _tool()
    text = (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
    assert tool.doc_layers(text) == tool.render_layers(), (
        "docs/architecture.md differs from LAYERS: run python scripts/import_graph.py --write-doc"
    )


def test_the_layer_check_finds_an_upward_import(tmp_path: Path) -> None:
    tool = _tool()
    pkg = tmp_path / "simulacra"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "conversation.py").write_text("def f():\n    from simulacra.runs import R\n")
    (pkg / "errors.py").write_text("from simulacra.conversation import C\n")
    (pkg / "runs.py").write_text("from simulacra.errors import E\n")
    top, local = tool.upward(tool.build(tmp_path))
    assert top == [("simulacra.errors", "simulacra.conversation")]
    assert local == [("simulacra.conversation", "simulacra.runs")]
