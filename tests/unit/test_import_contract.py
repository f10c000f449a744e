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
