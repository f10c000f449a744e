"""Orchestration overhead of the batch runner: turns per second with an instant in-process model.

Both roles (simulated user and target) are an in-process model that answers "ok" at once, so the
time measured is Simulacra's own: ``execute_run`` → the engine (``run_work``) → ``_run_item`` →
``PromptedUser`` (template rendering) / ``ModelTarget`` → ``Model.generate`` (limiter, accounting,
call recording) → ``run_conversation`` → the ``RunWriter`` (one JSON line per conversation,
group-committed fsync). Only ``build_models`` is swapped for one that returns the instant model.

Variants, interleaved per repeat (A B C D E A B C D E ...), median of the repeats:

- **run log**: the real writer (``conversations.jsonl`` + ``run.json`` in a temp dir);
- **no run log**: the writer's ``write``/``sync`` do nothing (what the log itself costs);
- **cache cold**: call cache on (user role): every call a miss plus an insert into SQLite;
- **cache warm**: the same run again on that cache: every user call a hit;
- **default user**: as "run log", with the runner's default user (the goal-state user, with
  its style-bank examples and validity gate) instead of the prompted user of the other variants
  (``_fake.PROMPTED_USER``): what a run without a ``user:`` section costs.

A turn is one entry of ``Conversation.turns`` (one model call). Turns/s is over the whole
``execute_run`` call; turns per CPU-second (process CPU time) is also given, as the CPU may be
shared. One extra run with the log is profiled with cProfile; the top costs go in the details.

Run: python benchmarks/orchestration_overhead.py [--conversations 2000] [--user-turns 5]
Writes benchmarks/results/orchestration_overhead.json (value = turns/s with the run log, ratio =
value ÷ 20,000).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import pstats
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import write_result
from _fake import RUNNER_CODE, instant_config, instant_models, median, table

from simulacra.conversation import Conversation
from simulacra.runs import RunConfig, _runner, execute_run
from simulacra.runs._store import RunWriter

GOAL_TPS = 20_000
CODE_PATHS = [
    "benchmarks/orchestration_overhead.py",
    *RUNNER_CODE,
    "src/simulacra/models/_cache.py",
    # the "default user" variant
    "src/simulacra/participants/_goal_state.py",
    "src/simulacra/participants/_style.py",
    "src/simulacra/participants/_gated.py",
    "src/simulacra/participants/_validity.py",
    "src/simulacra/participants/_content.py",
    "src/simulacra/participants/_checklist.py",
    "src/simulacra/participants/_real_wording.py",
    "src/simulacra/participants/data/user_style.json",
]
TEMPLATES = [
    "profile/general",
    "user/transcript_system",
    "user/transcript_turn",
    "user/goal_state_system",
    "user/goal_state_turn",
]


class NullWriter(RunWriter):
    """A run writer that writes ``run.json`` but no conversations."""

    def write(self, conversation: Conversation, *, sync: bool = True) -> None:
        pass

    def sync(self) -> None:
        pass


@contextlib.contextmanager
def no_run_log() -> Iterator[None]:
    _runner.__dict__["RunWriter"] = NullWriter
    try:
        yield
    finally:
        _runner.__dict__["RunWriter"] = RunWriter


def timed(config: RunConfig, tmp: str) -> dict[str, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    result = asyncio.run(execute_run(config, output_dir=Path(tmp)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    turns = result.summary["turns"]
    assert result.status == "complete" and not result.summary["errors"], result.summary
    hits = result.summary.get("cache", {}).get("hits", 0)
    return {"turns": turns, "wall": wall, "tps": turns / wall, "tps_cpu": turns / cpu, "hits": hits}


def _package(filename: str, name: str) -> str:
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if "simulacra" in parts:
        return "simulacra." + parts[parts.index("simulacra") + 1].removesuffix(".py")
    if filename == "~":  # C functions: name the extension type
        return "pydantic_core" if "pydantic_core" in name else "builtins"
    lib = [p for p in parts if p.startswith("python3")]
    return "stdlib." + parts[parts.index(lib[0]) + 1].removesuffix(".py") if lib else filename


def profile(config: RunConfig, tmp: str, top: int = 12) -> dict[str, Any]:
    """cProfile one run: top functions by own time, own time by package, and the Simulacra
    functions with the most cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    asyncio.run(execute_run(config, output_dir=Path(tmp)))
    prof.disable()
    raw: dict[Any, Any] = pstats.Stats(prof, stream=io.StringIO()).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())

    def row(key: Any, v: Any) -> list[Any]:
        (f, line, name), (_cc, nc, tt, ct, _callers) = key, v
        label = f"{Path(f).name}:{line}({name})" if f != "~" else name
        return [
            label[:80],
            round(tt, 3),
            round(100 * tt / total, 1),
            round(100 * ct / total, 1),
            nc,
        ]

    own = [row(k, v) for k, v in sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]]
    ours = [(k, v) for k, v in raw.items() if "/simulacra/" in k[0] and "/runs/" not in k[0]]
    cum = [row(k, v) for k, v in sorted(ours, key=lambda kv: -kv[1][3])[:top]]
    by_package: dict[str, float] = {}
    for (f, _line, name), v in raw.items():
        by_package[_package(f, name)] = by_package.get(_package(f, name), 0.0) + v[2]
    shares = {
        k: round(100 * t / total, 1)
        for k, t in sorted(by_package.items(), key=lambda kv: -kv[1])[:10]
    }
    head = ["function", "own s", "own %", "cum %", "calls"]
    print("\ncProfile, top functions by own time:")
    table(head, own)
    print("\ncProfile, Simulacra functions by cumulative time (outside runs/):")
    table(head, cum)
    print("\nown time by package (%):", shares)
    return {
        "profiled_s": round(total, 3),
        "columns": head,
        "top_own_time": own,
        "top_cumulative_simulacra": cum,
        "own_time_pct_by_package": shares,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--user-turns", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    size = {
        "conversations": args.conversations,
        "user_turns": args.user_turns,
        "concurrency": args.concurrency,
    }
    runs: dict[str, list[dict[str, float]]] = {
        k: [] for k in ("run log", "no run log", "cache cold", "cache warm", "default user")
    }
    with instant_models(), tempfile.TemporaryDirectory() as tmp:
        timed(instant_config(**size, tmp=tmp), tmp)  # warm-up: imports, templates
        for r in range(args.repeats):
            runs["run log"].append(timed(instant_config(**size, tmp=tmp), tmp))
            with no_run_log():
                runs["no run log"].append(timed(instant_config(**size, tmp=tmp), tmp))
            cached = instant_config(**size, tmp=f"{tmp}/cache{r}", cache=True)
            runs["cache cold"].append(timed(cached, tmp))
            runs["cache warm"].append(timed(cached, tmp))
            runs["default user"].append(timed(instant_config(**size, tmp=tmp, user={}), tmp))
        prof = profile(instant_config(**size, tmp=tmp), tmp)
    rows: list[list[Any]] = []
    details: dict[str, dict[str, Any]] = {}
    for name, rs in runs.items():
        med = {k: median([x[k] for x in rs]) for k in ("tps", "tps_cpu", "wall")}
        rows.append(
            [
                name,
                int(rs[0]["turns"]),
                med["wall"],
                round(med["tps"]),
                round(med["tps_cpu"]),
                int(rs[-1]["hits"]),
            ]
        )
        details[name] = {"turns_per_s": round(med["tps"]), "turns_per_cpu_s": round(med["tps_cpu"]),
                         "wall_s": round(med["wall"], 3), "per_repeat_turns_per_s": [round(x["tps"]) for x in rs]}  # fmt: skip
    print()
    table(["variant", "turns", "wall s", "turns/s", "turns/CPU-s", "cache hits"], rows)
    value = details["run log"]["turns_per_s"]
    write_result(
        "orchestration_overhead",
        value=value,
        unit="turns/s",
        ratio=round(value / GOAL_TPS, 3),
        goal=f"turns/s >= {GOAL_TPS} on one core (ratio = value / {GOAL_TPS} >= 1)",
        model="in-process instant model (no I/O)",
        goal_met=value >= GOAL_TPS,
        templates=TEMPLATES,
        code_paths=CODE_PATHS,
        details={
            "workload": {
                **size,
                "repeats": args.repeats,
                "turn": "one Conversation.turns entry = one model call",
            },
            **details,
            "log_cost_pct": round(
                100
                * (1 - details["run log"]["turns_per_s"] / details["no run log"]["turns_per_s"]),
                1,
            ),
            "profile": prof,
            "note": "the user is the prompted user (_fake.PROMPTED_USER) but in the default user "
            "variant; single-threaded asyncio; the CPU is shared with other work, so turns/CPU-s is "
            "the steadier number; cProfile inflates absolute times",
        },
    )


if __name__ == "__main__":
    main()
