"""The output folder of a training job: written into a temporary sibling and renamed at the end,
so a crashed or interrupted job leaves nothing that looks like an adapter."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simulacra.errors import ConfigError

__all__ = ["PROVENANCE", "TRAINING_LOG", "atomic_output_dir", "environment_facts"]

PROVENANCE = "provenance.json"
TRAINING_LOG = "training_log.json"


@contextlib.contextmanager
def atomic_output_dir(output: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary folder beside ``output``; on success it becomes ``output``.

    Raises:
        ConfigError: If ``output`` exists and ``overwrite`` is false (checked first).
    """
    if output.exists() and not overwrite:
        raise ConfigError(f"{output}: output folder exists (set overwrite: true or --overwrite)")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        old = output.with_name(f".{output.name}.old-{os.getpid()}")
        if output.exists():
            os.replace(output, old)
        os.replace(tmp, output)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def environment_facts() -> dict[str, Any]:
    """Library versions and machine, recorded with every trained adapter."""
    import importlib.metadata as md

    versions = {}
    for dist in ("simulacra", "torch", "transformers", "peft", "trl", "datasets", "accelerate"):
        with contextlib.suppress(md.PackageNotFoundError):
            versions[dist] = md.version(dist)
    return {
        "versions": versions,
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
