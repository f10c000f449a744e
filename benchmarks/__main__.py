"""``python -m benchmarks check [--results DIR]``: is every committed result still what the code
would give?

Lists every ``*.json`` under the results folder (``benchmarks/results``, subfolders included):

- ``stale``: a prompt template it recorded (``id@version``) now has another version or no longer
  exists, or a code path it recorded now has another content hash (or no longer exists) — rerun
  the benchmark;
- ``goal missed``: it recorded ``goal_met: false``;
- ``no provenance recorded``: written before results recorded their provenance (or not by
  ``write_result``) — listed, not a failure;
- ``ok``: provenance recorded and nothing changed since.

Exits 1 when any result is stale, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._common import RESULTS, ROOT, code_hash

PROVENANCE_KEYS = ("commit", "templates", "code_paths", "goal_met")


@dataclass
class Status:
    """What ``check`` found for one result file."""

    path: Path
    provenance: bool
    stale: list[str] = field(default_factory=list)
    goal_missed: str | None = None

    @property
    def label(self) -> str:
        if self.stale:
            return "stale"
        if self.goal_missed is not None:
            return "goal missed"
        return "ok" if self.provenance else "no provenance recorded"


def _current_template_version(template_id: str) -> int | None:
    from simulacra.errors import ConfigError
    from simulacra.prompts import get_template

    try:
        return get_template(template_id).version
    except ConfigError:
        return None


def check_result(path: Path, *, root: Path = ROOT) -> Status:
    """Compare one result file's recorded provenance with the working tree."""
    try:
        record: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return Status(path, provenance=False, stale=[f"unreadable: {e}"])
    if not isinstance(record, dict) or not any(k in record for k in PROVENANCE_KEYS):
        return Status(path, provenance=False)
    status = Status(path, provenance=True)
    for ref in record.get("templates") or []:
        template_id, _, version = str(ref).rpartition("@")
        current = _current_template_version(template_id)
        if current is None:
            status.stale.append(f"template {ref} no longer exists")
        elif str(current) != version:
            status.stale.append(f"template {ref} is now version {current}")
    for code_path, recorded in (record.get("code_paths") or {}).items():
        current_hash = code_hash(code_path, root=root)
        if current_hash is None:
            status.stale.append(f"code path {code_path} no longer exists")
        elif current_hash != recorded:
            status.stale.append(f"code path {code_path} changed since")
    if record.get("goal_met") is False:
        status.goal_missed = str(record.get("goal") or "")
    return status


def check(results: Path, *, root: Path = ROOT) -> list[Status]:
    """:func:`check_result` for every ``*.json`` under ``results``, sorted by path."""
    return [check_result(p, root=root) for p in sorted(results.rglob("*.json"))]


def _shown(path: Path, results: Path) -> str:
    try:
        return path.relative_to(results).as_posix()
    except ValueError:
        return str(path)


def _check_command(results: Path) -> int:
    if not results.is_dir():
        print(f"benchmarks check: no results folder {results}", file=sys.stderr)
        return 2
    statuses = check(results)
    for s in statuses:
        reasons = list(s.stale)
        if s.goal_missed is not None:
            reasons.append(
                f"goal missed ({s.goal_missed})" if s.stale else f"goal: {s.goal_missed}"
            )
        line = f"{s.label:<23} {_shown(s.path, results)}"
        print(f"{line}: {'; '.join(reasons)}" if reasons else line)
    stale = sum(bool(s.stale) for s in statuses)
    missed = sum(s.goal_missed is not None for s in statuses)
    bare = sum(not s.provenance for s in statuses)
    print(
        f"{len(statuses)} results: {stale} stale, {missed} goal missed, {bare} without provenance"
    )
    return 1 if stale else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    sub = parser.add_subparsers(dest="command", required=True)
    check_parser = sub.add_parser(
        "check", help="list stale results, missed goals and results without provenance"
    )
    check_parser.add_argument(
        "--results", type=Path, default=RESULTS, help=f"results folder (default: {RESULTS})"
    )
    args = parser.parse_args(argv)
    return _check_command(args.results)


if __name__ == "__main__":
    sys.exit(main())
