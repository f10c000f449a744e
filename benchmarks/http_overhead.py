"""HTTP path overhead of the batch runner against a zero-latency OpenAI-compatible server.

Workload: 50 conversations × 10 user turns (each turn = one simulated-user call + one target call,
so 1,000 chat completions), at concurrency 5 and 50, against
``python -m simulacra.testing.fake_server --latency 0`` in its own process (a fresh server, on a
fresh port, for every run).

Sides, interleaved per repeat (openai, simulacra, httpx, httpx2, openai, ...), median of the
repeats:

- **bare openai**: ``openai.AsyncOpenAI`` + ``asyncio.Semaphore(C)``; each conversation 10
  sequential turns of 2 ``chat.completions.create`` calls (user: system + transcript; target:
  system + chat history); conversations concurrent. The baseline of the goal.
- **simulacra**: ``execute_run`` of the equivalent config (``max_conversations: C``, both roles on
  the server with ``max_connections: C``, cache off), run directory in a temp dir. Wall time of
  the whole call (model build, preflight, ``run.json``, fsyncs included); the engine-only time
  (summary ``wall_s``) is also given.
- **bare httpx**: the same loop on ``httpx.AsyncClient`` posting JSON (what Simulacra uses
  underneath), to show the OpenAI SDK's own overhead;
- **bare httpx2**: the same on ``httpx2`` (the fork the OpenAI SDK is built on here, whose
  connection pool does not rescan every connection per request), to show what the pool costs.

At 0 ms latency every side is CPU-bound, and the client and the server share the 2 cores.

Run: python benchmarks/http_overhead.py [--repeats 3]
Writes benchmarks/results/http_overhead.json (value = Simulacra wall at concurrency 50, ratio =
the larger of Simulacra ÷ bare-openai wall over the two concurrencies).
"""

from __future__ import annotations

import argparse
from typing import Any

from _common import write_result
from _fake import HTTP_CODE, SIDES, interleaved, median, table

CONVERSATIONS, USER_TURNS = 50, 10
GOAL_RATIO = 1.05
CODE_PATHS = [
    "benchmarks/http_overhead.py",
    *HTTP_CODE,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[5, 50])
    args = parser.parse_args()
    calls = CONVERSATIONS * USER_TURNS * 2
    interleaved(0.0, 10, 2, 5, 1)  # warm-up: imports, templates, first connections
    rows: list[list[Any]] = []
    details: dict[str, Any] = {
        "workload": {"conversations": CONVERSATIONS, "user_turns": USER_TURNS, "calls": calls,
                     "latency_ms": 0, "repeats": args.repeats},
    }  # fmt: skip
    ratios: dict[int, float] = {}
    for c in args.concurrency:
        runs = interleaved(0.0, CONVERSATIONS, USER_TURNS, c, args.repeats)
        walls = {side: median([r["wall"] for r in runs[side]]) for side in SIDES}
        ratios[c] = walls["simulacra"] / walls["bare openai"]
        cpus = {side: median([r["cpu"] for r in runs[side]]) for side in SIDES}
        engine = median([r["engine"] for r in runs["simulacra"]])
        for side in SIDES:
            rows.append([c, side, walls[side], round(calls / walls[side]), walls[side] / walls["bare openai"],
                         walls[side] / walls["bare httpx"], cpus[side], cpus[side] / cpus["bare openai"]])  # fmt: skip
        details[f"concurrency_{c}"] = {
            "median_wall_s": {side: round(w, 3) for side, w in walls.items()},
            "calls_per_s": {side: round(calls / w) for side, w in walls.items()},
            "per_repeat_wall_s": {
                side: [round(r["wall"], 3) for r in runs[side]] for side in SIDES
            },
            "median_client_cpu_s": {side: round(x, 3) for side, x in cpus.items()},
            "cpu_simulacra_over_bare_openai": round(cpus["simulacra"] / cpus["bare openai"], 3),
            "cpu_simulacra_over_bare_httpx": round(cpus["simulacra"] / cpus["bare httpx"], 3),
            "simulacra_engine_wall_s": round(engine, 3),
            "simulacra_over_bare_openai": round(ratios[c], 3),
            "simulacra_over_bare_httpx": round(walls["simulacra"] / walls["bare httpx"], 3),
            "simulacra_over_bare_httpx2": round(walls["simulacra"] / walls["bare httpx2"], 3),
            "bare_openai_over_bare_httpx": round(walls["bare openai"] / walls["bare httpx"], 3),
            "server_in_flight_peak": {side: max(r["peak"] for r in runs[side]) for side in SIDES},
        }
    print()
    head = [
        "C",
        "side",
        "wall s",
        "calls/s",
        "÷ bare openai",
        "÷ bare httpx",
        "client CPU s",
        "CPU ÷ openai",
    ]
    table(head, rows)
    worst = max(ratios, key=lambda c: ratios[c])
    details["note"] = (
        "0 ms latency: all sides are CPU-bound and share the 2 cores with the fake server (and "
        "with other work on this machine); medians of interleaved runs. The server answers each "
        "request before reading the next, so its in-flight peak stays low at 0 ms."
    )
    write_result(
        "http_overhead",
        value=details[f"concurrency_{max(args.concurrency)}"]["median_wall_s"]["simulacra"],
        unit="s (Simulacra wall, 1,000 calls, highest concurrency)",
        ratio=round(ratios[worst], 3),
        goal=f"Simulacra wall / bare openai-SDK loop wall <= {GOAL_RATIO} (worst concurrency, here C={worst})",
        model="fake_server (0 ms latency)",
        goal_met=ratios[worst] <= GOAL_RATIO,
        code_paths=CODE_PATHS,
        details=details,
    )


if __name__ == "__main__":
    main()
