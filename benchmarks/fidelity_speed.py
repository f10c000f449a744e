"""Fidelity report speed: ``simulacra fidelity`` of 1,000 real dialogues against 1,000, before and
after the report was made fast (issue #16).

Inputs: the 999 MultiWOZ 2.1 val dialogues imported as a run (``simulacra data import
multiwoz21``), compared with the 1,000 test dialogues (``--reference test.json.zip``), seed 0,
real-vs-real baseline on (500 + 500 dialogues). Both sides run the same command line in a fresh
process, timed wall-clock end to end (imports and reading the data included):

- **before**: the fidelity modules of commit ``BEFORE`` (``git show``, laid over a copy of the
  current ``src/simulacra`` in a temporary folder, so only the fidelity code differs);
- **after**: the current working tree.

They alternate (before, after, after, before, ...) so that load from other jobs on the machine
falls on both; ``value`` is the fastest ``after`` run, ``ratio`` the fastest ``before`` over the
fastest ``after`` (medians and CPU seconds are in ``details``). A third variant, **before, one
BLAS thread** (``OPENBLAS_NUM_THREADS=1``), runs the old code as the new one runs its logistic
regressions, to show how much of the gain is the code rather than BLAS threads waiting on a
busy core (``details.ratio_vs_before_one_blas_thread``). ``details.agreement`` compares
the two JSON reports number by number on the numbers both have: everything but what changed by
design must agree (``CHANGED_BY_DESIGN``: the distinct-n interval — the bootstrap one excluded
its own estimate; its point estimate now samples whole dialogues — and, since 0.6, the
classifier's AUC, which compares texts as typed). Sections the report gained since are counted
(``only_after``), not compared.

Run: python benchmarks/fidelity_speed.py [--rounds 2]
Writes benchmarks/results/fidelity_speed.json; exits 1 when the ratio is below 5 or the
reports disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import write_result

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "multiwoz21"
BEFORE = "41959bb365d587786a09666d45cc253cf0035b12"  # the last commit of the slow report
FIDELITY_FILES = [
    "src/simulacra/evaluation/_fidelity.py",
    "src/simulacra/evaluation/_fidelity_baseline.py",
    "src/simulacra/evaluation/_fidelity_classifier.py",
    "src/simulacra/evaluation/_fidelity_measures.py",
    "src/simulacra/cli/_fidelity.py",
]
GOAL = 5.0
ONE = "before_one_blas_thread"
MOVED = {
    b"simulacra.participants._agenda_ontology": b"simulacra.scenarios._ontology",
    b"simulacra.participants._agenda_goal": b"simulacra.scenarios._goal",
}
"""Modules that moved since ``BEFORE`` (0.10.0, issue #17): the old fidelity code imports them
under their new names; nothing else of it changes."""
LAUNCH = "import sys, simulacra; print(simulacra.__file__, file=sys.stderr); "
LAUNCH += "from simulacra.cli import main; sys.argv[0] = 'simulacra'; main()"


def _before_tree(tmp: Path) -> Path:
    """A copy of the current ``src`` with the fidelity modules of ``BEFORE``."""
    src = tmp / "before" / "src"
    shutil.copytree(ROOT / "src" / "simulacra", src / "simulacra")
    for name in FIDELITY_FILES:
        old = subprocess.run(
            ["git", "show", f"{BEFORE}:{name}"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        for was, now in MOVED.items():
            old = old.replace(was, now)
        (tmp / "before" / name).write_bytes(old)
    return src


def _run(src: Path, args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run the CLI with ``src`` first on the path: (wall seconds, CPU seconds of the child)."""
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(src)}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, *args], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"fidelity failed:\n{done.stderr}")
    loaded = done.stderr.splitlines()[0]
    assert loaded.startswith(str(src)), f"imported {loaded}, not from {src}"
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return wall, cpu


def _numbers(report: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Every number of a report's comparisons, distinguishability and baseline, by path."""
    out: dict[str, float] = {}
    for key, value in report.items():
        path = f"{prefix}/{key}"
        if isinstance(value, dict):
            out.update(_numbers(value, path))
        elif isinstance(value, list):
            out.update({f"{path}[{i}]": float(v) for i, v in enumerate(value)})
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[path] = float(value)
    return out


def _headline(report: dict[str, Any]) -> dict[str, Any]:
    def row(c: dict[str, Any]) -> list[float]:
        return [round(c["value"][k], 4) for k in ("value", "low", "high")]

    base = report["baseline"]
    return {
        "comparisons": {k: row(c) for k, c in report["comparisons"].items()},
        "distinguishability_auc": row({"value": report["distinguishability"]["auc"]}),
        "real_vs_real": {
            "per_half": base["per_half"],
            "auc": row({"value": base["distinguishability"]["auc"]}),
            **{k: row(c) for k, c in base["comparisons"].items()},
        },
    }


CHANGED_BY_DESIGN = ("/distinct_", "/distinguishability/")
"""Numbers the report changed on purpose since ``BEFORE``: the distinct-n interval (the bootstrap
one excluded its own estimate) and, since 0.6, the classifier's AUC (texts compared as typed:
MultiWOZ's tokenised spacing is undone on both sides)."""


def _agreement(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    a, b = _numbers(before), _numbers(after)
    common = a.keys() & b.keys()
    diffs = {k: abs(a[k] - b[k]) for k in common}
    by_design = {k: d for k, d in diffs.items() if any(p in k for p in CHANGED_BY_DESIGN)}
    rest = {k: d for k, d in diffs.items() if k not in by_design}
    worst = max(rest, key=rest.__getitem__)
    return {
        "numbers_compared": len(rest),
        "max_abs_difference": rest[worst],
        "max_at": worst,
        "equal": all(d <= 1e-9 for d in rest.values()),
        "changed_by_design": {k: [a[k], b[k]] for k in sorted(by_design) if by_design[k] > 0},
        # sections the report gained since (human-likeness, max_turns flags...) or lost
        "only_after": len(b.keys() - a.keys()),
        "only_before": sorted(a.keys() - b.keys()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds of before, before with one BLAS thread, after (order alternates)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        run = tmp / "val-run"
        imported = ["data", "import", "multiwoz21", str(DATA / "val.json.zip"), "-o", str(run)]
        _run(ROOT / "src", imported)
        old = _before_tree(tmp)
        one = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        sides = {"before": (old, None), ONE: (old, one), "after": (ROOT / "src", None)}
        times: dict[str, list[float]] = {s: [] for s in sides}
        cpu: dict[str, list[float]] = {s: [] for s in sides}
        order = []
        for r in range(args.rounds):
            order += ["before", ONE, "after"] if r % 2 == 0 else ["after", ONE, "before"]
        for i, side in enumerate(order):
            out = tmp / f"{side}.json"
            cmd = ["fidelity", str(run), "--reference", str(DATA / "test.json.zip"), "-o", str(out)]
            src, env = sides[side]
            wall, seconds = _run(src, cmd, env)
            times[side].append(round(wall, 2))
            cpu[side].append(round(seconds, 2))
            print(
                f"{i + 1}/{len(order)} {side}: {wall:.1f} s wall, {seconds:.1f} s CPU", flush=True
            )
        reports = {s: json.loads((tmp / f"{s}.json").read_text()) for s in sides}
    before, after = min(times["before"]), min(times["after"])
    agreement = _agreement(reports["before"], reports["after"])
    ratio = round(before / after, 2)
    goal_met = ratio >= GOAL and agreement["equal"]
    write_result(
        "fidelity_speed",
        value=after,
        unit="s",
        ratio=ratio,
        goal="≥ 5× faster on 1,000 vs 1,000 MultiWOZ test dialogues",
        model="none (TF-IDF word and char n-gram features, logistic regression)",
        details={
            "command": "simulacra fidelity VAL_RUN --reference test.json.zip -o report.json",
            "simulated": "MultiWOZ 2.1 val, 999 dialogues imported (simulacra data import)",
            "reference": "MultiWOZ 2.1 test, 1,000 dialogues",
            "before_code": f"fidelity modules of {BEFORE}",
            "order": order,
            "before_s": times["before"],
            "before_one_blas_thread_s": times[ONE],
            "after_s": times["after"],
            "before_cpu_s": cpu["before"],
            "before_one_blas_thread_cpu_s": cpu[ONE],
            "after_cpu_s": cpu["after"],
            "ratio_vs_before_one_blas_thread": round(min(times[ONE]) / after, 2),
            "one_blas_thread_reports_agree": _agreement(reports["before"], reports[ONE])["equal"],
            "median_ratio": round(
                statistics.median(times["before"]) / statistics.median(times["after"]), 2
            ),
            "cpu_ratio": round(min(cpu["before"]) / min(cpu["after"]), 2),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "agreement": agreement,
            "headline_before": _headline(reports["before"]),
            "headline_after": _headline(reports["after"]),
        },
        goal_met=goal_met,
        code_paths=[*FIDELITY_FILES, "benchmarks/fidelity_speed.py"],
    )
    if not goal_met:
        print(f"GOAL MISSED: ratio {ratio} (goal {GOAL}), agreement {agreement}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
