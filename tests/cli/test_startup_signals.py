"""Ctrl-C or SIGTERM while ``simulacra`` is still starting (importing) ends it with one line,
exit code 130 or 143, and no traceback.

The signal is sent from inside the child at a chosen import (a ``sitecustomize`` on
``PYTHONPATH`` adds an import hook), so the test does not depend on timing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HOOK = """
import os, signal, sys

class _SignalAtImport:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["SIGNAL_AT_IMPORT"]:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), int(os.environ["SIGNAL_NUMBER"]))
        return None

sys.meta_path.insert(0, _SignalAtImport())
"""


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
@pytest.mark.parametrize(
    "module",
    [
        "simulacra.conversation",  # while the package itself imports
        "simulacra.cli._run",  # while the command line imports, before main() runs
    ],
)
def test_a_signal_while_starting_is_one_line(
    tmp_path: Path, signum: int, code: int, word: str, module: str
) -> None:
    (tmp_path / "sitecustomize.py").write_text(HOOK)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        "SIGNAL_AT_IMPORT": module,
        "SIGNAL_NUMBER": str(int(signum)),
    }
    done = subprocess.run(
        [sys.executable, "-m", "simulacra", "--version"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.stderr == f"simulacra: {word}\n"
    assert done.returncode == code
    assert done.stdout == ""


def test_the_library_leaves_signal_handlers_alone() -> None:
    """Importing simulacra in another program changes no handler."""
    code = (
        "import signal; before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)"
        "\nimport simulacra"
        "\nassert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
