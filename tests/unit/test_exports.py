"""The public API of every subpackage is its ``__init__``'s ``__all__`` (issue #17): each name in
``__all__`` exists, and each public name ``__init__`` defines or imports from Simulacra (other
than a submodule) is in ``__all__``."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGES = sorted(
    ".".join(p.parent.relative_to(SRC).parts) for p in (SRC / "simulacra").rglob("__init__.py")
)


def _bound_names(path: Path) -> set[str]:
    """Public names bound at the top of a module: defs, classes, assignments, and names imported
    from Simulacra that the module does not use itself (a re-export; ``if TYPE_CHECKING:``
    blocks skipped)."""
    names: set[str] = set()
    imported: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                    visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").startswith("simulacra")
            ):
                imported.update(a.asname or a.name for a in node.names)

    tree = ast.parse(path.read_text(encoding="utf-8"))
    visit(tree.body)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return {n for n in names | (imported - used) if not n.startswith("_")}


@pytest.mark.parametrize("package", PACKAGES)
def test_all_matches_what_the_package_exports(package: str) -> None:
    module = importlib.import_module(package)
    declared = getattr(module, "__all__", None)
    assert isinstance(declared, list), f"{package}: no __all__ list"
    missing = [n for n in declared if not hasattr(module, n)]
    assert missing == [], f"{package}.__all__ names what it does not have: {missing}"
    assert len(set(declared)) == len(declared), f"{package}.__all__ repeats a name"
    path = SRC.joinpath(*package.split("."), "__init__.py")
    unlisted = sorted(
        n
        for n in _bound_names(path) - set(declared)
        if not isinstance(getattr(module, n, None), ModuleType)
    )
    assert unlisted == [], f"{package} exports {unlisted} without listing them in __all__"


def test_the_export_check_sees_an_unlisted_name(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text(
        "from typing import Any\n"
        "from simulacra.models import Model, get_model as gm\n"
        "from simulacra.x import _private, used\n"
        "used()\n"
        "VALUE = 1\n"
        "def helper() -> None: ...\n"
        "class Thing: ...\n"
        "if TYPE_CHECKING:\n    from simulacra.y import Hidden\n"
    )
    assert _bound_names(init) == {"Model", "gm", "VALUE", "helper", "Thing"}
