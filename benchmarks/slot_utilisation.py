"""Slot utilisation of the batch runner against a 200 ms OpenAI-compatible server.

Workload: 200 conversations × 5 user turns (each turn = one simulated-user call + one target
call: 2,000 chat completions), concurrency 50, against
``python -m simulacra.testing.fake_server --latency 0.2`` in its own process (a fresh server for
every run, so its ``in_flight_peak`` is per run). If all 50 slots stay busy, the run takes the
ideal 200 × 5 × 2 × 0.2 s ÷ 50 = 8 s.

Sides, interleaved per repeat (openai, simulacra, httpx, httpx2, ...), median of the repeats: the
bare ``openai.AsyncOpenAI`` + ``asyncio.Semaphore(50)`` loop (the baseline), Simulacra's
``execute_run`` (``max_conversations: 50``, both roles with ``max_connections: 50``, cache off,
run directory in a temp dir) and the same bare loop on ``httpx.AsyncClient`` (what Simulacra
uses) and on ``httpx2`` (the fork the OpenAI SDK uses). See ``_fake.interleaved``. Reported: wall, wall ÷ ideal, and the server's peak of chat requests in
flight (must reach 50 for Simulacra).

Run: python benchmarks/slot_utilisation.py [--repeats 3]
Writes benchmarks/results/slot_utilisation.json (value = Simulacra wall ÷ ideal, ratio =
Simulacra wall ÷ bare-openai wall).
"""

from __future__ import annotations

import argparse
from typing import Any

from _common import write_result
from _fake import HTTP_CODE, SIDES, interleaved, median, table

CONVERSATIONS, USER_TURNS, CONCURRENCY, LATENCY = 200, 5, 50, 0.2
GOAL_RATIO = 1.05
CODE_PATHS = [
    "benchmarks/slot_utilisation.py",
    *HTTP_CODE,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ideal = CONVERSATIONS * USER_TURNS * 2 * LATENCY / CONCURRENCY
    interleaved(0.0, 10, 2, 5, 1)  # warm-up: imports, templates
    runs = interleaved(LATENCY, CONVERSATIONS, USER_TURNS, CONCURRENCY, args.repeats)
    walls = {side: median([r["wall"] for r in runs[side]]) for side in SIDES}
    peaks = {side: [int(r["peak"]) for r in runs[side]] for side in SIDES}
    rows: list[list[Any]] = [
        [
            side,
            walls[side],
            walls[side] / ideal,
            walls[side] / walls["bare openai"],
            min(peaks[side]),
        ]
        for side in SIDES
    ]
    print(f"\nideal wall: {ideal:.1f} s")
    table(["side", "wall s", "÷ ideal", "÷ bare openai", "min in-flight peak"], rows)
    ratio = walls["simulacra"] / walls["bare openai"]
    engine = median([r["engine"] for r in runs["simulacra"]])
    write_result(
        "slot_utilisation",
        value=round(walls["simulacra"] / ideal, 3),
        unit="Simulacra wall / ideal wall",
        ratio=round(ratio, 3),
        goal=f"Simulacra wall / bare openai-SDK loop wall <= {GOAL_RATIO}; server in-flight peak = {CONCURRENCY}",
        model=f"fake_server ({int(LATENCY * 1000)} ms latency)",
        goal_met=ratio <= GOAL_RATIO and min(peaks["simulacra"]) >= CONCURRENCY,
        code_paths=CODE_PATHS,
        details={
            "workload": {
                "conversations": CONVERSATIONS,
                "user_turns": USER_TURNS,
                "concurrency": CONCURRENCY,
                "latency_s": LATENCY,
                "repeats": args.repeats,
            },
            "ideal_wall_s": ideal,
            "median_wall_s": {side: round(w, 3) for side, w in walls.items()},
            "wall_over_ideal": {side: round(w / ideal, 3) for side, w in walls.items()},
            "per_repeat_wall_s": {
                side: [round(r["wall"], 3) for r in runs[side]] for side in SIDES
            },
            "server_in_flight_peak_per_repeat": peaks,
            "simulacra_engine_wall_s": round(engine, 3),
            "simulacra_over_bare_httpx": round(walls["simulacra"] / walls["bare httpx"], 3),
            "simulacra_over_bare_httpx2": round(walls["simulacra"] / walls["bare httpx2"], 3),
            "median_client_cpu_s": {
                side: round(median([r["cpu"] for r in runs[side]]), 3) for side in SIDES
            },
            "peak_reached": min(peaks["simulacra"]) >= CONCURRENCY,
            "note": "medians of interleaved runs; the CPU is shared with other work and the fake "
            "server, so contention can stretch any side's wall",
        },
    )


if __name__ == "__main__":
    main()
