"""The CI on a busy machine: ``.ci/run`` on a fresh clone with CPU-bound processes beside it.

Clones the repository's HEAD (committed code only) next to this checkout, so that ``../shared``
resolves as it does for CI, starts ``--load`` CPU burners (each a Python process spinning on
integer arithmetic, one core's worth of work, like ``stress --cpu 1``), runs ``bash .ci/run`` with
``CI=true``, and records its exit status, wall time, the pytest summary line and the 1-minute load
average sampled every 30 s. With ``--quiet-first`` it also runs the suite alone first, on the
same clone, and the ratio is loaded / quiet wall time; otherwise ``ratio`` is null.

The suite must pass on a loaded 2-core machine (no timeout a busy machine can hit): the goal is
exit 0 with the load beside it.

Run: python benchmarks/suite_wall.py [--load 1] [--quiet-first]
Writes benchmarks/results/suite_wall.json (value = wall seconds of the loaded run).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from _common import ROOT, write_result

BURN = "x = 0\nwhile True:\n    x = (x * 1103515245 + 12345) % 2147483648\n"


def _clone(dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True, timeout=600)


def _run_suite(clone: Path, log: Path) -> dict[str, Any]:
    loads: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(30):
            loads.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    with log.open("w") as out:
        rc = subprocess.run(
            ["bash", ".ci/run"],
            cwd=clone,
            env={**os.environ, "CI": "true"},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    wall = time.monotonic() - started
    stop.set()
    text = log.read_text(errors="replace")
    summary = re.findall(r"=+ (.*(?:passed|failed|error).*) in [0-9.]+s", text)
    return {
        "exit_status": rc,
        "wall_s": round(wall, 1),
        "pytest_summary": summary[-1] if summary else None,
        "load_avg_1m_mean": round(sum(loads) / len(loads), 2) if loads else None,
        "load_avg_1m_max": round(max(loads), 2) if loads else None,
        "tail": text.splitlines()[-5:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", type=int, default=1, help="CPU burners beside the suite")
    parser.add_argument("--quiet-first", action="store_true", help="also run it alone first")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its logs")
    args = parser.parse_args()
    clone = ROOT.parent / f".suite_wall_{os.getpid()}"
    _clone(clone)
    tested = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.strip()
    runs: dict[str, Any] = {}
    try:
        if args.quiet_first:
            print("suite alone ...", flush=True)
            runs["quiet"] = _run_suite(clone, clone / "suite_quiet.log")
            print(runs["quiet"], flush=True)
        burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(max(0, args.load))]
        try:
            print(f"suite with {len(burners)} CPU burner(s) ...", flush=True)
            runs["loaded"] = _run_suite(clone, clone / "suite_loaded.log")
            print(runs["loaded"], flush=True)
        finally:
            for b in burners:
                b.kill()
                b.wait()
    finally:
        if not args.keep:
            shutil.rmtree(clone, ignore_errors=True)
    loaded = runs["loaded"]
    quiet = runs.get("quiet")
    write_result(
        "suite_wall",
        value=loaded["wall_s"],
        unit=f"s, .ci/run on a fresh clone with {args.load} CPU burner(s) beside it",
        ratio=round(loaded["wall_s"] / quiet["wall_s"], 3) if quiet else None,
        goal="the suite passes (exit 0) with CPU-bound load beside it; ratio = loaded / quiet",
        goal_met=loaded["exit_status"] == 0 and (quiet is None or quiet["exit_status"] == 0),
        model="the suite's own (embedded:tiny and embedded:default where tests mark it)",
        code_paths=[".ci/run", "scripts/test.sh", "benchmarks/suite_wall.py"],
        details={
            "tested_commit": tested,
            "runs": runs,
            "load": args.load,
            "cpus": os.cpu_count(),
            "note": "measures the suite at the recorded commit; the suite itself is not in "
            "code_paths (any test change would stale it), rerun after large test changes",
        },
    )


if __name__ == "__main__":
    main()
