"""A robustness report of a real simulated user: ``benchmarks/robustness_multiwoz.yaml`` (the
embedded default model as the user, the tiny embedded model as a small system under test, 3
MultiWOZ hotel goals, 4 turns) as the baseline and under ``typos:0.2`` and ``adversarial:prompt_injection``; every metric's change with a paired bootstrap CI.

Run: python benchmarks/robustness_report.py [--output /tmp/robustness]
Writes benchmarks/results/robustness_report.json (value = wall seconds of the 3 runs; ratio =
None: there is no baseline implementation to compare with) with the report inside.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from _common import write_result

from simulacra.robustness import parse_shift, run_robustness
from simulacra.runs import load_config

SHIFTS = ("typos:0.2", "adversarial:prompt_injection")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path, default=Path("/tmp/robustness_report"))
    args = parser.parse_args()
    path = Path(__file__).parent / "robustness_multiwoz.yaml"
    config = load_config(path)
    started, cpu = time.perf_counter(), time.process_time()
    report = asyncio.run(
        run_robustness(
            config,
            [parse_shift(s) for s in SHIFTS],
            args.output,
            config_path=path,
            on_run=lambda label, d: print(f"{label}: {d}", flush=True),
        )
    )
    wall = time.perf_counter() - started
    cpu_s = time.process_time() - cpu
    print(report.to_markdown())
    write_result(
        "robustness_report",
        value=round(wall, 1),
        unit="s (baseline + 2 shifted runs)",
        ratio=None,
        goal="a bounded real measurement (<= ~10 CPU minutes)",
        model="user embedded:default (Qwen2.5-Coder-1.5B Q4_K_M), target embedded:tiny",
        goal_met=cpu_s <= 600,
        # the config has no user section: the runner's default (goal-state) user
        templates=["profile/general", "user/goal_state_system", "user/goal_state_turn"],
        code_paths=[
            "benchmarks/robustness_report.py",
            "benchmarks/robustness_multiwoz.yaml",
            "src/simulacra/robustness",
            "src/simulacra/runs/_runner.py",
            "src/simulacra/runs/_items.py",
            "src/simulacra/paradigms/_human_ai.py",
            "src/simulacra/scenarios/_config.py",
            "src/simulacra/runs/_engine.py",
            "src/simulacra/runs/_scenarios.py",
            "src/simulacra/participants/_goal_state.py",
            "src/simulacra/participants/_gated.py",
            "src/simulacra/participants/_validity.py",
            "src/simulacra/participants/_targets.py",
            "src/simulacra/models/_embedded.py",
        ],
        details={
            "cpu_seconds": round(cpu_s, 1),
            "config": str(path.name),
            "report": report.to_dict(),
            "markdown": report.to_markdown(),
        },
    )


if __name__ == "__main__":
    main()
