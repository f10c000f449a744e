"""How credible is the simulated user? Variants of the user against the same target and goals,
measured against the real MultiWOZ 2.1 test dialogues with the same goals (issue #15).

Variants (all on the embedded default model as the user and as the target, which gets a short
domain system prompt):

- ``prompted``: the prompted user before 0.5 (transcript framing, no gate) — the baseline;
- ``prompted+gate``: the same user behind the validity gate;
- ``prompted+style``: the prompted user with real users' turns as exemplars (no gate);
- ``goal_state``: the goal-state user alone (no style examples, no gate);
- ``all``: goal-state user + real-user style examples + validity gate (the new default).

Per variant, with 95% intervals (conversation bootstrap): role reversal (user turns that speak
as the assistant, write the dialogue, echo the other side or say nothing), instruction leaks,
premature stops (the self-audit's rule), goal coverage (share of the goal's checklist items the
user stated or asked for), user turns per dialogue and words per user turn against the real
dialogues of the same goals (KS), the distinguishability AUC of ``simulacra fidelity`` with its
real-vs-real baseline, the gate's regenerations per user turn, and seconds per conversation.

Since 0.5.1 the distinguishability classifier compares texts as typed (MultiWOZ's tokenised
spacing undone on both sides), role reversal also catches "anything else I can help with" and
asking the other side for *its* preferences, and a stop after the system said the same thing
twice in a row is not premature (the system failed the user) — for every variant alike.

Goals are a seeded sample of single-domain MultiWOZ 2.1 *test* goals (single-domain so that a
conversation fits the CPU budget); nothing here was tuned on test.

Run: python benchmarks/user_fidelity.py [--goals 20] [--variants prompted,all] [--work DIR]
Runs resume: rerunning with the same --work continues unfinished variants.
Writes benchmarks/results/user_fidelity.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _common import write_result

from simulacra.conversation import Conversation
from simulacra.datasets import multiwoz_dialogues
from simulacra.errors import ConfigError
from simulacra.evaluation import audit_report, fidelity_report, role_violation
from simulacra.evaluation._population import run_population
from simulacra.participants import Checklist, StyleBank, TaskGoal
from simulacra.runs import execute_run, parse_config, read_conversations

ROOT = Path(__file__).resolve().parents[1]
TEST = ROOT.parent / "shared/data/multiwoz21/test.json.zip"
TARGET_PROMPT = (
    "You are the Cambridge TownInfo assistant. You help visitors find and book hotels, "
    "guesthouses, restaurants, attractions, trains and taxis in Cambridge. Ask for what you need, "
    "suggest one option at a time with its key details, and when asked to book, confirm with a "
    "reference number. Keep answers short."
)
VARIANTS = ("prompted", "prompted+gate", "prompted+style", "goal_state", "all")
GOALS = {
    "role_reversal": "<= 0.02 of user turns",
    "premature_stop": "<= 0.05 of conversations",
    "goal_coverage": ">= 0.90",
    "words_per_turn_ks": "<= 0.2",
    "turns_per_dialogue_ks": "<= 0.3",
    "auc": "<= 0.75",
    "seconds_ratio": "<= 1.5 x prompted",
}


def _sample_goals(n: int, seed: int) -> list[tuple[str, TaskGoal]]:
    dialogues = [d for d in multiwoz_dialogues(TEST) if len(d.goal.domains) == 1]
    random.Random(seed).shuffle(dialogues)
    return [(d.id, d.goal) for d in dialogues[:n]]


def _user_section(variant: str, goals: Sequence[tuple[str, TaskGoal]]) -> dict[str, Any]:
    if variant.startswith("prompted"):
        section: dict[str, Any] = {"type": "prompted", "prompting": "transcript"}
        if variant == "prompted+style":
            bank = StyleBank.default()
            section["exemplars"] = bank.examples("hotel restaurant train", position="middle", k=4)
        return section
    if variant == "goal_state":
        return {"type": "goal_state", "style_examples": 0}
    return {"type": "goal_state"}


def _config(variant: str, goals: Sequence[tuple[str, TaskGoal]], seed: int) -> dict[str, Any]:
    gate = variant in ("prompted+gate", "all")
    return {
        "name": f"user-fidelity-{variant.replace('+', '-')}",
        "seed": seed,
        "models": {
            "user": {"model": "embedded:default", "temperature": 0.8, "max_tokens": 60},
            "target": {"model": "embedded:default", "temperature": 0.3, "max_tokens": 80},
        },
        "user": _user_section(variant, goals),
        "validity": {"enabled": gate},
        "target": {"type": "model", "name": "Assistant", "system_prompt": TARGET_PROMPT},
        "scenarios": [
            {"id": f"multiwoz:{gid}", "goal": task.description, "task": task.model_dump()}
            for gid, task in goals
        ],
        "stop": {"max_turns": 16},
        "execution": {"max_conversations": 1},
    }


def _run(variant: str, goals: Sequence[tuple[str, TaskGoal]], work: Path, seed: int) -> Path:
    config = parse_config(_config(variant, goals, seed), source=f"user_fidelity:{variant}")
    out = work / variant
    existing = (
        sorted(p for p in out.glob("*/") if (p / "run.json").exists()) if out.exists() else []
    )
    started = time.perf_counter()
    if existing:
        result = asyncio.run(execute_run(config, resume=existing[-1]))
    else:
        result = asyncio.run(execute_run(config, output_dir=out))
    (result.directory / "bench_wall.txt").write_text(
        f"{time.perf_counter() - started:.1f}\n", encoding="utf-8"
    )
    return result.directory


def _cluster_ci(
    rows: Sequence[tuple[float, float]], seed: int, resamples: int = 2000
) -> dict[str, float]:
    """Ratio sum(num)/sum(den) over conversations, with a percentile bootstrap interval."""
    num = sum(r[0] for r in rows)
    den = sum(r[1] for r in rows)
    rng = random.Random(seed)
    stats = []
    for _ in range(resamples):
        pick = [rows[rng.randrange(len(rows))] for _ in rows]
        d = sum(r[1] for r in pick)
        if d:
            stats.append(sum(r[0] for r in pick) / d)
    stats.sort()
    lo = stats[int(0.025 * len(stats))] if stats else float("nan")
    hi = stats[int(0.975 * len(stats)) - 1] if stats else float("nan")
    return {
        "value": round(num / den, 4) if den else float("nan"),
        "low": round(lo, 4),
        "high": round(hi, 4),
        "n": len(rows),
    }


def _measure(
    run_dir: Path, goals: dict[str, TaskGoal], reference: list[Any], seed: int
) -> dict[str, Any]:
    convs: list[Conversation] = list(read_conversations(run_dir))
    role: list[tuple[float, float]] = []
    leak: list[tuple[float, float]] = []
    cover: list[tuple[float, float]] = []
    regen: list[tuple[float, float]] = []
    reasons: dict[str, int] = {}
    wording: dict[str, int] = {}
    for c in convs:
        others: list[str] = []
        user_turns: list[str] = []
        bad = leaks = regs = 0
        for t in c.turns:
            if t.speaker != "user":
                others.append(t.utterance)
                continue
            v = role_violation(t.utterance, others=others[-1:])
            if v == "instruction_leak":
                leaks += 1
            elif v is not None:
                bad += 1
                reasons[v] = reasons.get(v, 0) + 1
            user_turns.append(t.utterance)
            by = str(t.metadata.get("verbalised_by", "n/a"))
            wording[by] = wording.get(by, 0) + 1
            r = t.metadata.get("validity.regenerations")
            regs += r if isinstance(r, int) else 0
        n = len(user_turns)
        role.append((bad, n))
        leak.append((leaks, n))
        regen.append((regs, n))
        task = goals[(c.scenario_id or "").removeprefix("multiwoz:")]
        done, total = Checklist.from_task(task).coverage(user_turns, others)
        cover.append((done, total))
    audit = audit_report(run_population(run_dir), seed=seed).to_dict()
    premature = audit["rates"]["premature_stop"]  # type: ignore[index]
    try:
        report = fidelity_report(convs, reference, seed=seed, resamples=300).to_dict()
    except ConfigError as exc:  # too few turns for the report (smoke runs)
        report = {"comparisons": {}, "distinguishability": {"error": str(exc)}, "baseline": None}
    comps = report["comparisons"]
    wall = (
        float((run_dir / "bench_wall.txt").read_text())
        if (run_dir / "bench_wall.txt").exists()
        else None
    )
    conv_seconds = [
        c.ended_at - c.started_at
        for c in convs
        if c.ended_at is not None and c.started_at is not None
    ]
    return {
        "run_dir": str(run_dir.relative_to(ROOT)) if run_dir.is_relative_to(ROOT) else str(run_dir),
        "conversations": len(convs),
        "user_turns": sum(r[1] for r in role),
        "role_reversal": _cluster_ci(role, seed),
        "role_reversal_reasons": reasons,
        "leak": _cluster_ci(leak, seed),
        "premature_stop": premature,
        "goal_coverage": _cluster_ci(cover, seed),
        "regenerations_per_user_turn": _cluster_ci(regen, seed),
        # who worded the user turns: the model, a real user's wording (fallback), the template
        "verbalised_by": wording,
        "user_turns_per_dialogue": statistics.mean(r[1] for r in role) if role else None,
        "words_per_turn_ks": comps.get("turn_length_words"),
        "turns_per_dialogue_ks": comps.get("user_turns_per_dialogue"),
        "auc": report["distinguishability"],
        "real_vs_real": report["baseline"],
        "seconds_per_conversation": {
            "median": round(statistics.median(conv_seconds), 1) if conv_seconds else None,
            "mean": round(statistics.mean(conv_seconds), 1) if conv_seconds else None,
            "run_wall_s": wall,
            "per_user_turn": round(sum(conv_seconds) / max(1, sum(r[1] for r in role)), 2),
        },
        "simulator_invalid": {
            "conversations": sum(1 for c in convs if c.metadata.get("simulator_invalid") is True),
            "of": sum(1 for c in convs if "simulator_invalid" in c.metadata),
        },
        "terminations": {
            str(k): sum(1 for c in convs if c.termination == k)
            for k in {c.termination for c in convs}
        },
    }


def _value(x: Any, *keys: str) -> float | None:
    for k in keys:
        if not isinstance(x, dict) or k not in x:
            return None
        x = x[k]
    return float(x) if isinstance(x, int | float) else None


def _goals_met(m: dict[str, Any], base_seconds: float | None) -> dict[str, bool | None]:
    checks: dict[str, Callable[[], bool | None]] = {
        "role_reversal": lambda: _le(_value(m, "role_reversal", "value"), 0.02),
        "premature_stop": lambda: _le(_value(m, "premature_stop", "value"), 0.05),
        "goal_coverage": lambda: _ge(_value(m, "goal_coverage", "value"), 0.90),
        "words_per_turn_ks": lambda: _le(_value(m, "words_per_turn_ks", "value", "value"), 0.2),
        "turns_per_dialogue_ks": lambda: _le(
            _value(m, "turns_per_dialogue_ks", "value", "value"), 0.3
        ),
        "auc": lambda: _le(_value(m, "auc", "auc", "value"), 0.75),
        "seconds_ratio": lambda: _le(
            (_value(m, "seconds_per_conversation", "median") or 0) / base_seconds
            if base_seconds
            else None,
            1.5,
        ),
    }
    return {k: f() for k, f in checks.items()}


_EPS = 1e-9
"""KS statistics are multiples of 1/n: 18/60 is 0.30000000000000004 in floating point."""


def _le(x: float | None, bound: float) -> bool | None:
    return None if x is None else x <= bound + _EPS


def _ge(x: float | None, bound: float) -> bool | None:
    return None if x is None else x >= bound - _EPS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--goals", type=int, default=20)
    parser.add_argument(
        "--variants", default="prompted,all,goal_state,prompted+gate,prompted+style"
    )
    parser.add_argument(
        "--part-goals",
        type=int,
        default=12,
        help="goals for the single-part variants (the first N of the same sample)",
    )
    parser.add_argument("--work", default=str(ROOT / ".bench/user_fidelity"))
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument(
        "--note", default="", help="recorded in the result (e.g. how runs were made)"
    )
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    for v in variants:
        if v not in VARIANTS:
            raise SystemExit(f"unknown variant {v!r}; one of {', '.join(VARIANTS)}")
    goals = _sample_goals(args.goals, args.seed)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    by_id = dict(goals)
    reference = [d for d in multiwoz_dialogues(TEST, with_turns=True) if d.id in by_id]
    results: dict[str, Any] = {}
    for v in variants:
        mine = goals if v in ("prompted", "all") else goals[: args.part_goals]
        if not args.measure_only:
            run_dir = _run(v, mine, work, args.seed)
        else:
            run_dir = sorted(p for p in (work / v).glob("*/") if (p / "run.json").exists())[-1]
        wanted = {g for g, _ in mine}
        results[v] = _measure(run_dir, by_id, [d for d in reference if d.id in wanted], args.seed)
        results[v]["goals"] = len(mine)
        _write(results, variants, goals, args)
        print(
            v,
            json.dumps(
                {
                    k: results[v][k]
                    for k in ("conversations", "role_reversal", "premature_stop", "goal_coverage")
                }
            ),
        )


def _write(
    results: dict[str, Any],
    variants: Sequence[str],
    goals: Sequence[tuple[str, TaskGoal]],
    args: argparse.Namespace,
) -> None:
    base = _value(results.get("prompted", {}), "seconds_per_conversation", "median")
    for m in results.values():
        m["goals_met"] = _goals_met(m, base)
    headline = results.get("all") or next(iter(results.values()))
    before = results.get("prompted")
    auc_after = _value(headline, "auc", "auc", "value")
    auc_before = _value(before, "auc", "auc", "value") if before else None
    write_result(
        "user_fidelity",
        value=auc_after if auc_after is not None else float("nan"),
        unit="distinguishability AUC of the default user (all parts) vs real users (lower is more human)",
        ratio=round(auc_before / auc_after, 3) if auc_before and auc_after else None,
        goal="; ".join(f"{k} {v}" for k, v in GOALS.items()),
        model="embedded:default (Qwen2.5-Coder-1.5B-Instruct Q4_K_M) as user and target",
        details={
            "goals": f"{len(goals)} single-domain MultiWOZ 2.1 test goals, seed {args.seed}; "
            f"single-part variants on the first {args.part_goals}",
            "pending_variants": [v for v in variants if v not in results],
            "note": args.note,
            "goal_ids": [g for g, _ in goals],
            "target_prompt": TARGET_PROMPT,
            "variants": results,
        },
        goal_met=all(x is True for x in headline["goals_met"].values()),
        templates=[
            "user/transcript_system",
            "user/transcript_turn",
            "user/goal_state_system",
            "user/goal_state_turn",
            "profile/general",
        ],
        code_paths=[
            # the users measured, their gate and style data, and the measures
            *(
                f"src/simulacra/participants/{m}.py"
                for m in (
                    "_goal_state",
                    "_validity",
                    "_gated",
                    "_checklist",
                    "_content",
                    "_style",
                    "_voice",
                    "_simulated_user",
                    "_noise",
                    "_real_wording",
                    "_agenda",
                    "_agenda_nlg",
                    "_agenda_nlu",
                )
            ),
            "src/simulacra/scenarios",
            "src/simulacra/prompts/_profiles.py",
            "src/simulacra/paradigms/_human_ai.py",
            "src/simulacra/runs/_items.py",
            "src/simulacra/participants/data",
            "src/simulacra/evaluation/_role.py",
            "src/simulacra/evaluation/_audit.py",
            "src/simulacra/evaluation/_fidelity_classifier.py",
            "src/simulacra/runs/_runner.py",
            "benchmarks/user_fidelity.py",
        ],
    )


if __name__ == "__main__":
    main()
