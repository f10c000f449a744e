"""Runs of one config with a profile attribute swapped (the bias audit's counterfactual runs).

The swapping itself is pure and lives with the audit (:func:`simulacra.evaluation.swapped_configs`);
running the swapped configs needs the runner, so it lives here, above evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulacra.evaluation import swapped_configs
from simulacra.runs._runner import execute_run

__all__ = ["run_swapped"]


async def run_swapped(
    config: Any, attribute: str, values: Sequence[str], *, output_dir: Path
) -> dict[str, Path]:
    """Run :func:`swapped_configs` one after another; value → run directory."""
    dirs = {}
    for value, cfg in swapped_configs(config, attribute, values).items():
        result = await execute_run(cfg, output_dir=output_dir)
        dirs[value] = result.directory
    return dirs
