"""Bad-input fuzz test (issue #21 item 6): over 1,000 seeded malformed inputs across every reader,
run in-process through the CLI's ``main``. Every failure must be exit code 2 with exactly one
line of at most 300 characters on stderr, no traceback, and nothing left at the output
location; no case may hang. The outcome counts are printed (``-s``) and asserted."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from simulacra.cli import main
from tests.cli._fuzz import READERS, Case, cases

HANG_GUARD_S = 300


class _Hang(BaseException):
    """Raised by the hang guard; a BaseException, so no error boundary can swallow it."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hang


@pytest.fixture
def quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SIMULACRA_DEBUG", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    yield


def _run(case: Case) -> tuple[str, int | None, str]:
    """``(outcome, exit code, stderr)``; outcome: exit, traceback or hang."""
    err, out = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_GUARD_S)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            main(case.args)
        return "exit", 0, err.getvalue()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return "exit", code, err.getvalue()
    except _Hang:
        return "hang", None, err.getvalue()
    except BaseException as exc:
        return "traceback", None, f"{type(exc).__name__}: {exc}"[:300]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _leftovers(out: Path) -> list[str]:
    if not out.exists():
        return []
    return [str(p.relative_to(out)) for p in out.rglob("*")] or ["(empty folder)"]


def test_malformed_inputs_are_one_line_exit_2_and_leave_nothing(
    tmp_path: Path, quiet_env: None
) -> None:
    counts: Counter[str] = Counter()
    by_reader: Counter[str] = Counter()
    problems: list[str] = []
    started = time.perf_counter()
    for case in cases(tmp_path / "cases"):
        outcome, code, err = _run(case)
        by_reader[case.reader] += 1
        label = f"{case.reader} [{case.mutation}]"
        if outcome != "exit":
            counts[outcome] += 1
            problems.append(f"{label}: {outcome}: {err[:200]}")
            continue
        if code == 0:
            counts["accepted"] += 1  # the mutation left a valid input
            continue
        if code != 2:
            counts[f"exit {code}"] += 1
            problems.append(f"{label}: exit {code}: {err[:200]}")
            continue
        counts["exit 2"] += 1
        lines = err.splitlines()
        if len(lines) != 1 or len(lines[0]) > 300 or not lines[0].startswith("simulacra: error: "):
            counts["bad error line"] += 1
            problems.append(f"{label}: {len(lines)} lines, {[len(x) for x in lines][:3]} chars")
        if "Traceback" in err:
            counts["traceback in stderr"] += 1
        left = _leftovers(case.out)
        if left:
            counts["leftovers"] += 1
            problems.append(f"{label}: left {left[:3]}")
    summary = {
        "cases": sum(by_reader.values()),
        "readers": len(READERS),
        "outcomes": dict(counts),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary))
    for problem in problems[:40]:
        print(problem)
    assert summary["cases"] >= 1_000 and len(by_reader) == len(READERS)
    assert counts["exit 2"] >= 1_000
    assert problems == [], f"{len(problems)} problems, e.g. {problems[:5]}"
