from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from simulacra.runs import read_conversations
from tests._cli import run_cli

Runner = Callable[..., subprocess.CompletedProcess[str]]


def write_config(
    path: Path,
    base_url: str,
    *,
    epochs: int = 10,
    max_turns: int = 4,
    in_flight: int = 8,
    timeout: float = 5.0,
    max_retries: int = 3,
    extra: str = "",
) -> Path:
    path.write_text(
        f"""
name: batch
models:
  user: {{model: "openai:fake", base_url: "{base_url}", timeout: {timeout}, max_retries: {max_retries}}}
  target: {{model: "openai:fake", base_url: "{base_url}", timeout: {timeout}, max_retries: {max_retries}}}
profiles:
  - {{kind: general, id: g}}
  - {{kind: persona, id: p, name: Pat}}
scenarios:
  - {{id: s1, goal: book a room}}
  - {{id: s2, goal: cancel an order}}
epochs: {epochs}
stop: {{max_turns: {max_turns}}}
execution: {{max_conversations: {in_flight}}}
cache: {{enabled: false}}
{extra}
"""
    )
    return path


def start_cli(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "simulacra", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def cli(tmp_path: Path) -> Runner:
    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return run_cli(list(args), tmp_path, timeout=timeout)

    return run


def records(run_dir: Path) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for c in read_conversations(run_dir):
        assert c.id not in out, f"duplicate record {c.id}"
        out[c.id] = [(t.speaker, t.utterance) for t in c.turns]
    return out
