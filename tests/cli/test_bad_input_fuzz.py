"""Bad-input fuzz test (issue #21 item 6): over 1,000 seeded malformed inputs across every reader,
run in-process through the CLI's ``main``. Every failure must be exit code 2 with exactly one
line of at most 300 characters on stderr that names the malformed file and where in it (a line,
row, byte offset, record or field) before the cause, no traceback, and nothing left at the
output location; no case may hang. The outcome counts are printed and asserted."""

from __future__ import annotations

import contextlib
import io
import json
import re
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
PREFIX = "simulacra: error: "

# What must follow the file's name in an error line: where in the file, then the cause.
_LOCATED = re.compile(
    r":\d+(?::\d+)?: \S"  # FILE:LINE[:COLUMN]: cause
    r"|: (?:line|row|byte) \d+\b.*\S"  # FILE: line N: cause
    r"|: (?:dialogue|conversation|task|record) [^\s:,]+\S*[:,] \S"  # FILE: dialogue ID: cause
    r"|: (?:top level|[\w.\-\[\]]+): \S"  # FILE: FIELD.PATH: cause (``top level`` for the root)
    r"|: column '[^']*' "  # FILE: column 'NAME' ... (a CSV column or JSON key)
    r"|: not UTF-8 text \(byte \d+"  # an encoding error at a byte offset
)
# ... or a cause that concerns the whole file.
_WHOLE_FILE = re.compile(
    r": (?:(?:[\w-]+ ){0,2}file not found|is a folder|not a regular file|not a run directory|is empty"
    r"|no (?:rows|messages|profiles|conversations|dialogues|tasks|personas)\b)"
)
# A valid input that reached the model call: the fuzz runs point at a closed port.
_MODEL_DOWN = re.compile(r"^(?:\S+: )?models\.\w+: cannot reach ")


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


def locate_problem(line: str, path: Path, args: list[str]) -> str:
    """Why an exit-2 error ``line`` about the malformed ``path`` is not located ("" if it is):
    it must name ``path`` (or the argument folder holding it) and then a locator and cause."""
    message = line.removeprefix(PREFIX)
    names = [str(path)] + [a for a in args if str(path).startswith(a.rstrip("/") + "/")]
    ends = [message.rfind(name) + len(name) for name in names if name in message]
    if not ends:
        return "does not name the file"
    tail = message[max(ends) :]
    if _LOCATED.match(tail) or _WHOLE_FILE.match(tail):
        return ""
    return "names no line, row, byte or field"


def _leftovers(out: Path) -> list[str]:
    if not out.exists():
        return []
    return [str(p.relative_to(out)) for p in out.rglob("*")] or ["(empty folder)"]


def test_malformed_inputs_are_one_located_line_exit_2_and_leave_nothing(
    tmp_path: Path, quiet_env: None, capsys: pytest.CaptureFixture[str]
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
            counts["accepted valid"] += 1  # the mutation left a valid input
            continue
        if code != 2:
            counts[f"exit {code}"] += 1
            problems.append(f"{label}: exit {code}: {err[:200]}")
            continue
        lines = err.splitlines()
        if len(lines) != 1 or len(lines[0]) > 300 or not lines[0].startswith(PREFIX):
            counts["bad error line"] += 1
            problems.append(f"{label}: {len(lines)} lines, {[len(x) for x in lines][:3]} chars")
        elif _MODEL_DOWN.match(lines[0].removeprefix(PREFIX)):
            counts["accepted valid (model down)"] += 1
        else:
            why = locate_problem(lines[0], case.path, case.args)
            counts["exit 2 generic" if why else "exit 2 located"] += 1
            if why:
                problems.append(f"{label}: {why}: {lines[0][:200]}")
        if "Traceback" in err:
            counts["traceback"] += 1
            problems.append(f"{label}: a traceback on stderr")
        left = _leftovers(case.out)
        if left:
            counts["leftovers"] += 1
            problems.append(f"{label}: left {left[:3]}")
    for always in ("exit 2 generic", "bad error line", "traceback", "hang", "leftovers"):
        counts[always] += 0  # reported as 0, not left out
    summary = {
        "cases": sum(by_reader.values()),
        "readers": len(READERS),
        "outcomes": dict(counts),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    with capsys.disabled():  # the counts show without -s
        print("\n" + json.dumps(summary))
        for problem in problems[:40]:
            print(problem)
    assert summary["cases"] >= 1_000 and len(by_reader) == len(READERS)
    assert counts["exit 2 located"] >= 900
    assert problems == [], f"{len(problems)} problems, e.g. {problems[:5]}"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("/d/data.json:1:2501: malformed JSON: nested more than 500 levels deep", ""),
        ("/d/people.jsonl: not UTF-8 text (byte 3: invalid start byte)", ""),
        ("/d/ratings.csv: line 3: score 'x' is not a number", ""),
        ("/d/data.json: dialogue SNG01.json: log.1: expected an object, got null", ""),
        ("/d/pop.yaml: attributes.demographics.age: a sampled value is not valid (...)", ""),
        ("/d/run.yaml: top level: expected a mapping, got list", ""),
        ("/d/tasks.jsonl: tasks file not found", ""),
        (
            "/d/data.json: cannot be read (AttributeError: 'bool' object has no attribute 'get')",
            "x",
        ),
        ("/d/data.json: not JSON (Expecting value: line 1 column 1 (char 0))", "x"),
        ("/d/chats.jsonl: nested too deeply to read", "x"),
        ("input: cannot be read (KeyError: 'assistant')", "x"),
        ("persona 1: demographics.age: Input should be a valid integer", "x"),
    ],
)
def test_the_located_property_tells_generic_lines_apart(line: str, why: str) -> None:
    """What the fuzz test calls located: the file, then a line, byte, record or field."""
    path = Path("/d") / line.split(":")[0].removeprefix("/d/")
    assert bool(locate_problem(PREFIX + line, path, [str(path)])) == bool(why)
