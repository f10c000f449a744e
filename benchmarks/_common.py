"""Shared helpers of the benchmarks: machine description, provenance and the results file
convention.

Every result records where it came from (:func:`write_result`): the git commit (and whether
``src/`` or ``benchmarks/`` had uncommitted changes), the command line, the prompt templates
(``id@version``), the model files (name and sha256) and a content hash of each code path the
benchmark declares as determining its result, and whether it met its goal. ``python -m
benchmarks check`` compares those records with the working tree (``benchmarks/__main__.py``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
_SKIP_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {platform.system()}"


def _git(*args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def git_commit() -> tuple[str | None, bool | None]:
    """HEAD's sha and whether ``src/`` or ``benchmarks/`` (results aside) have uncommitted
    changes; ``(None, None)`` outside a git checkout."""
    sha = _git("rev-parse", "HEAD")
    if sha is None:
        return None, None
    status = _git(
        "status", "--porcelain", "--", "src", "benchmarks", ":(exclude)benchmarks/results"
    )
    return sha.strip(), None if status is None else bool(status.strip())


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_hash(path: str | Path, *, root: Path = ROOT) -> str | None:
    """sha256 of a repository path's content: a file's bytes, or for a folder every file's
    relative path and bytes in sorted order (caches skipped). ``None`` when it does not exist.
    Relative paths are taken from the repository root."""
    p = Path(path)
    p = p if p.is_absolute() else root / p
    if p.is_file():
        return _sha256_file(p)
    if not p.is_dir():
        return None
    digest = hashlib.sha256()
    for f in sorted(p.rglob("*")):
        rel = f.relative_to(p)
        if not f.is_file() or _SKIP_PARTS & set(rel.parts) or f.suffix == ".pyc":
            continue
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(_sha256_file(f).encode() + b"\0")
    return digest.hexdigest()


def _repo_path(path: str | Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            return str(p)
    return p.as_posix()


def template_refs(templates: Sequence[str]) -> list[str]:
    """``id@version`` of each template: an id gets its current version from
    ``simulacra.prompts.get_template``; a ref that already names a version is kept."""
    refs = []
    for t in templates:
        if "@" in t:
            refs.append(t)
        else:
            from simulacra.prompts import get_template

            refs.append(get_template(t).ref)
    return refs


def command_line() -> str:
    """How this process was started, as a shell line (the script path relative to the repo)."""
    argv = list(sys.argv) or [""]
    if argv[0]:
        argv[0] = _repo_path(argv[0])
    return shlex.join([Path(sys.executable).name, *argv])


def provenance(
    *,
    goal_met: bool | None = None,
    templates: Sequence[str] = (),
    model_files: Sequence[str | Path] = (),
    code_paths: Sequence[str | Path] = (),
) -> dict[str, Any]:
    """The provenance fields of a result (see :func:`write_result`)."""
    sha, dirty = git_commit()
    files = []
    for m in model_files:
        p = Path(m).expanduser()
        files.append({"file": p.name, "sha256": _sha256_file(p) if p.is_file() else None})
    return {
        "commit": sha,
        "dirty": dirty,
        "command": command_line(),
        "templates": template_refs(templates),
        "model_files": files,
        "code_paths": {_repo_path(c): code_hash(c) for c in code_paths},
        "goal_met": goal_met,
    }


def write_result(
    name: str,
    *,
    value: float,
    unit: str,
    ratio: float | None,
    goal: str,
    model: str,
    details: dict[str, Any] | None = None,
    goal_met: bool | None = None,
    templates: Sequence[str] = (),
    model_files: Sequence[str | Path] = (),
    code_paths: Sequence[str | Path] = (),
) -> Path:
    """Write ``benchmarks/results/<name>.json`` and print it.

    Besides the numbers, the file records its provenance: ``commit`` (HEAD) and ``dirty``
    (uncommitted changes under ``src/`` or ``benchmarks/``), ``command`` (this command line),
    ``templates`` (``id@version`` of the prompt templates used; give ids or refs),
    ``model_files`` (name and sha256 of each given file), ``code_paths`` (repository path →
    content hash, for the files or folders whose content determines the result) and
    ``goal_met`` (``True``/``False``, or ``None`` for a report without a pass/fail goal).
    A non-empty ``BENCHMARK_NOTE`` environment variable is kept as ``note`` (how the run went:
    a shared machine, a reduced workload).
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "value": value,
        "unit": unit,
        "ratio": ratio,
        "goal": goal,
        "model": model,
        "machine": machine(),
        "date": _dt.date.today().isoformat(),
        **provenance(
            goal_met=goal_met,
            templates=templates,
            model_files=model_files,
            code_paths=code_paths,
        ),
        **({"note": os.environ["BENCHMARK_NOTE"]} if os.environ.get("BENCHMARK_NOTE") else {}),
        **({"details": details} if details else {}),
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k != "details"}, indent=2))
    if goal_met is False:
        print(f"{name}: goal missed ({goal})", file=sys.stderr)
    return path


def simulacra_cli(*args: str) -> str:
    """Run ``python -m simulacra ARGS`` from the repository root; its stdout (fails loudly)."""
    proc = subprocess.run(
        [sys.executable, "-m", "simulacra", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout
