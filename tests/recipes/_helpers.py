"""Shared by the recipe tests: the tiny model spec, the CLI in-process, example paths."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner, Result

from simulacra.cli import cli

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "examples" / "recipes"
# One llama.cpp thread: on a shared CPU more threads spin and are far slower.
TINY = {"model": "embedded:tiny", "n_threads": 1}
TINY_JSON = json.dumps(TINY)


def invoke(*args: str) -> Result:
    """Run ``simulacra ARGS`` in-process; exceptions stay on the result."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def load_example(name: str) -> ModuleType:
    """Import a script of examples/recipes as a module."""
    spec = importlib.util.spec_from_file_location(name, RECIPES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
