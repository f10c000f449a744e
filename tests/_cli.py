"""Run the real ``simulacra`` command in a subprocess (shared by CLI tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_cli(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulacra", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
