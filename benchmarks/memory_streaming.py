"""Peak memory of a streamed run: 100,000 conversations vs 1,000, with an instant model.

Each size runs in a fresh subprocess (this script with ``--child N``): ``execute_run`` with both
roles on an in-process model that answers at once (``_fake.instant_models``: only
``build_models`` is swapped; engine, ``RunWriter`` and summary are real, and the run log is
written to a temp dir), ``max_turns: 2`` (one user turn, one target turn), 64 conversations in
flight, cache off. At the end the child reports ``resource.getrusage(RUSAGE_SELF).ru_maxrss``
(peak RSS, Linux: KiB) and its RSS after imports, before the run.

Work sets: **epochs** (default; 1 scenario × N epochs, so the config itself is O(1) and only the
engine's streaming is measured) and **scenarios** (N scenarios × 1 epoch: the config holds N
scenarios and ``run.json`` embeds them, so memory grows with the config, not with the
conversations). Both are measured; the value and ratio use the epochs work set.

Takes ~6 min on 2 shared cores: each 100k run 1.5–4 min; ``--work-sets epochs`` skips the
scenarios work set.

Run: python benchmarks/memory_streaming.py [--sizes 1000 100000] [--work-sets epochs scenarios]
Writes benchmarks/results/memory_streaming.json (value = peak RSS of the largest run in MiB,
ratio = that ÷ peak RSS of the smallest run, epochs work set).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import write_result
from _fake import RUNNER_CODE, instant_config, instant_models, table

GOAL_RATIO = 1.2


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(n: int, work_set: str) -> None:
    from simulacra.runs import execute_run

    with tempfile.TemporaryDirectory() as tmp, instant_models():
        c0 = time.perf_counter()
        config = instant_config(
            conversations=n, user_turns=1, concurrency=64, tmp=tmp, epochs=work_set == "epochs"
        )
        config_s = time.perf_counter() - c0
        before = rss_kib()
        t0 = time.perf_counter()
        result = asyncio.run(execute_run(config, output_dir=Path(tmp)))
        wall = time.perf_counter() - t0
        log = result.directory / "conversations.jsonl"
        record = {
            "conversations": result.summary["conversations"],
            "status": result.status,
            "wall_s": round(wall, 2),
            "config_parse_s": round(config_s, 2),
            "rss_before_run_mib": round(before / 1024, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "log_mib": round(log.stat().st_size / 2**20, 1),
        }
    print(json.dumps(record))


def measure(n: int, work_set: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n), "--work-set", work_set],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    record: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if record["conversations"] != n or record["status"] != "complete":
        raise RuntimeError(f"child run incomplete: {record}")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--work-sets", nargs="+", default=["epochs", "scenarios"])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work-set", default="epochs", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.work_set)
        return
    results: dict[str, dict[int, dict[str, Any]]] = {ws: {} for ws in args.work_sets}
    rows: list[list[Any]] = []
    for ws in args.work_sets:
        for n in args.sizes:
            r = results[ws][n] = measure(n, ws)
            rows.append([ws, n, r["config_parse_s"], r["wall_s"], r["rss_before_run_mib"],
                         r["peak_rss_mib"], r["log_mib"]])  # fmt: skip
            print(f"{ws} {n}: {r}", flush=True)
    print()
    head = ["work set", "conversations", "parse config s", "run wall s", "RSS before MiB",
            "peak RSS MiB", "log MiB"]  # fmt: skip
    table(head, rows)
    small, large = min(args.sizes), max(args.sizes)
    main_ws = "epochs" if "epochs" in results else args.work_sets[0]
    peak = results[main_ws][large]["peak_rss_mib"]
    ratios = {
        ws: round(r[large]["peak_rss_mib"] / r[small]["peak_rss_mib"], 3)
        for ws, r in results.items()
    }
    write_result(
        "memory_streaming",
        value=peak,
        unit=f"MiB peak RSS ({large:,} conversations)",
        ratio=ratios[main_ws],
        goal=f"peak RSS of {large:,} / {small:,} conversations <= {GOAL_RATIO} ({main_ws} work set)",
        model="in-process instant model (no I/O)",
        goal_met=ratios[main_ws] <= GOAL_RATIO,
        code_paths=[
            "benchmarks/memory_streaming.py",
            *RUNNER_CODE,
            "src/simulacra/runs/_config.py",
        ],
        details={
            "workload": {"sizes": args.sizes, "max_turns": 2, "max_conversations": 64},
            "runs": {ws: {str(n): r for n, r in rs.items()} for ws, rs in results.items()},
            "ratio_by_work_set": ratios,
            "note": "fresh subprocess per run; ru_maxrss at the end of the child; "
            "config_parse_s is the time to validate the config. The scenarios work set keeps N "
            "ScenarioConfig objects in the config (and dumps them into run.json), which is O(N) "
            "by design of the config, not a leak of the engine. The user is the prompted user "
            "(_fake.PROMPTED_USER).",
        },
    )


if __name__ == "__main__":
    main()
