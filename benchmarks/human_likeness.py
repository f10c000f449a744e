"""How human is the simulator? The human-likeness report of ``simulacra fidelity`` for several
simulated users against the real users of the same MultiWOZ 2.1 test goals (issue #22).

Systems:

- ``real_vs_real``: real test dialogues of *other* goals (same domain mix, single-domain) set
  against the real dialogues of the sampled goals — must come out near "human";
- ``agenda``: the agenda-based user against the rule-based system of
  ``benchmarks/agenda_baseline.py`` (no model) on the sampled goals;
- every ``--run NAME=DIR`` given (run directories whose scenarios are ``multiwoz:<id>`` test
  goals: compared with the real dialogues of their own goals);
- with ``--tiny N``: the prompted user on the tiny embedded model (user and target) on the first
  N sampled goals, without and with behaviour profiles mined from real users
  (``simulacra personas mine``: MultiWOZ *val* users, a disjoint set, resampled one persona per
  goal) — the fingerprint with and without mined profiles; with ``--taskmaster N`` the same on
  Taskmaster-4 (profiles mined from other Taskmaster dialogues, goals from its instructions).

Per system: lexical z-scores, the behavioural fingerprint and the classifier AUC with intervals,
the calibrated pairwise judge on ``--judge-model`` for the systems in ``--judge`` (pairs x
samples given), the judge's agreement with the classifier AUC across the judged systems
(Spearman of its detection rate and the AUC), and seconds per report.

Goals are the seeded sample of single-domain test goals of ``benchmarks/user_fidelity.py`` (its
``_sample_goals``, seed 15 by default), so the runs of that benchmark can be fed with ``--run``.

Run: python benchmarks/human_likeness.py [--goals 60] [--run prompted=DIR ...] [--tiny 12]
Writes benchmarks/results/human_likeness.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import write_result
from agenda_baseline import RuleSystem
from user_fidelity import TARGET_PROMPT, TEST, _sample_goals

from simulacra import StopConditions, run_conversation
from simulacra.conversation import Conversation
from simulacra.datasets import multiwoz_dialogues
from simulacra.datasets._multiwoz import MultiWOZDialogue
from simulacra.evaluation import fidelity_report
from simulacra.evaluation._population import _corpus_conversation, run_population
from simulacra.participants import AgendaUser
from simulacra.runs import execute_run, parse_config

ROOT = Path(__file__).resolve().parents[1]
VAL = ROOT.parent / "shared/data/multiwoz21/val.json.zip"
TM4 = ROOT.parent / "shared/data/taskmaster/TM-4-2024/data/data_07.json"
CODE = [
    "src/simulacra/evaluation/_human_likeness.py",
    "src/simulacra/evaluation/_fingerprint.py",
    "src/simulacra/evaluation/_lexical.py",
    "src/simulacra/evaluation/_pairwise_judge.py",
    "src/simulacra/profiles/_markers.py",
    "src/simulacra/profiles/_mine.py",
    "benchmarks/human_likeness.py",
]


def _real_vs_real(
    chosen: Sequence[MultiWOZDialogue], pool: Sequence[MultiWOZDialogue], seed: int
) -> tuple[list[Conversation], dict[str, Any]]:
    """Real dialogues of other goals with the same single domains, as a 'simulated' run (scenario
    ids ``real:<id>``: not paired with the reference)."""
    used = {d.id for d in chosen}
    rng = random.Random(seed)
    rest = [d for d in pool if d.id not in used and len(d.goal.domains) == 1]
    rng.shuffle(rest)
    out, tasks = [], {}
    for d in chosen:
        dom = d.goal.domains[0].domain
        other = next(x for x in rest if x.goal.domains[0].domain == dom)
        rest.remove(other)
        c = _corpus_conversation(other).model_copy(update={"scenario_id": f"real:{other.id}"})
        out.append(c)
        tasks[f"real:{other.id}"] = other.goal
    return out, tasks


async def _agenda(chosen: Sequence[MultiWOZDialogue]) -> list[Conversation]:
    out = []
    for i, d in enumerate(chosen):
        user = AgendaUser(d.goal, seed=i)
        system = RuleSystem(d.goal, user, share_acts=False)
        c = await run_conversation([user, system], stop=StopConditions(max_turns=60))
        out.append(c.model_copy(update={"scenario_id": f"multiwoz:{d.id}"}))
    return out


def _tiny_config(name: str, scenarios: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    return {
        "name": name,
        "seed": seed,
        "models": {
            "user": {"model": "embedded:tiny", "temperature": 0.8, "max_tokens": 48},
            "target": {"model": "embedded:tiny", "temperature": 0.3, "max_tokens": 64},
        },
        "user": {"type": "prompted", "prompting": "transcript"},
        "validity": {"enabled": False},
        "target": {"type": "model", "name": "Assistant", "system_prompt": TARGET_PROMPT},
        "scenarios": scenarios,
        "stop": {"max_turns": 8},
        "cache": {"enabled": False},
    }


def _run(config: dict[str, Any], out: Path) -> list[Conversation]:
    existing = (
        sorted(p for p in out.glob("*/") if (p / "run.json").exists()) if out.exists() else []
    )
    cfg = parse_config(config, source=f"human_likeness:{config['name']}")
    if existing:
        result = asyncio.run(execute_run(cfg, resume=existing[-1]))
    else:
        result = asyncio.run(execute_run(cfg, output_dir=out))
    return run_population(result.directory).conversations


def _mined_personas(source: Path, n: int, seed: int) -> list[Any]:
    """``n`` personas resampled from the users mined from a MultiWOZ file."""
    from simulacra.evaluation._population import load_population

    population = load_population(source)
    return _personas_from(population.conversations, n, seed, population.tasks)


def _personas_from(
    convs: Sequence[Conversation], n: int, seed: int, tasks: dict[str, Any] | None = None
) -> list[Any]:
    from simulacra.evaluation._fidelity_measures import reference_user
    from simulacra.profiles._mine import mine_behaviour, sample_behaviour, to_persona, user_dialogue

    dialogues = [
        user_dialogue(c, reference_user(c), (tasks or {}).get(c.scenario_id or "")) for c in convs
    ]
    personas = [to_persona(v) for v in sample_behaviour(mine_behaviour(dialogues), n, seed=seed)]
    return [p.model_copy(update={"id": f"mined-{i}"}) for i, p in enumerate(personas)]


def _with_and_without(
    tag: str, scenarios: list[dict[str, Any]], personas: list[Any], work: Path, seed: int
) -> tuple[list[Conversation], list[Conversation]]:
    """The tiny prompted user on ``scenarios``: one run with the general user, and one persona
    per scenario (a run each: a run crosses every scenario with every profile)."""
    plain = _run(_tiny_config(f"{tag}-general", scenarios, seed), work / f"{tag}-general")
    mined: list[Conversation] = []
    for i, (scenario, persona) in enumerate(zip(scenarios, personas, strict=False)):
        config = _tiny_config(f"{tag}-mined-{i}", [scenario], seed)
        config["profiles"] = [
            {"kind": "persona", **persona.model_dump(mode="json", exclude_defaults=True)}
        ]
        mined += _run(config, work / f"{tag}-mined" / str(i))
    return plain, mined


def _summary(report: Any, seconds: float, judge_seconds: float | None) -> dict[str, Any]:
    h = report.human_likeness
    out: dict[str, Any] = {
        "n_simulated": report.n_simulated,
        "n_reference": report.n_reference,
        "auc": report.distinguishability.auc.__dict__,
        "report_s": round(seconds, 2),
        "lexical_z": {k: z.z.__dict__ for k, z in h.lexical.items()},
        "fingerprint": {
            k: {
                "statistic": c.statistic,
                "value": c.value.__dict__,
                "real": c.real,
                "simulated": c.simulated,
            }
            for k, c in h.fingerprint.items()
        },
        "skipped": h.skipped,
    }
    if h.judge is not None:
        out["judge"] = h.judge.to_dict()
        out["judge_s"] = round(judge_seconds or 0.0, 1)
    return out


def _spearman(a: list[float], b: list[float]) -> float | None:
    if len(a) < 3:
        return None

    def ranks(x: list[float]) -> list[float]:
        order = sorted(range(len(x)), key=lambda i: x[i])
        r = [0.0] * len(x)
        for pos, i in enumerate(order):
            r[i] = float(pos)
        return r

    try:
        return statistics.correlation(ranks(a), ranks(b))
    except statistics.StatisticsError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--goals", type=int, default=60)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--run", action="append", default=[], help="NAME=DIR, repeatable")
    parser.add_argument("--judge", default="real_vs_real,agenda", help="systems judged, or all")
    parser.add_argument("--judge-model", default="embedded:default")
    parser.add_argument("--judge-pairs", type=int, default=12)
    parser.add_argument("--judge-samples", type=int, default=3)
    parser.add_argument("--tiny", type=int, default=0, help="goals for the tiny prompted runs")
    parser.add_argument("--taskmaster", type=int, default=0, help="Taskmaster goals (tiny)")
    parser.add_argument("--work", default=str(ROOT / ".bench/human_likeness"))
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    work = Path(args.work)
    goals = _sample_goals(args.goals, args.seed)
    all_test = list(multiwoz_dialogues(TEST, with_turns=True))
    by_id = {d.id: d for d in all_test}
    chosen = [by_id[gid] for gid, _ in goals]

    systems: dict[str, tuple[list[Conversation], Sequence[Any], dict[str, Any]]] = {}
    real_convs, real_tasks = _real_vs_real(chosen, all_test, args.seed)
    systems["real_vs_real"] = (real_convs, chosen, real_tasks)
    systems["agenda"] = (asyncio.run(_agenda(chosen)), all_test, {})
    for spec in args.run:
        name, _, directory = spec.partition("=")
        population = run_population(directory)
        systems[name] = (population.conversations, all_test, dict(population.tasks))
    mined_effect: dict[str, Any] = {}
    if args.tiny:
        scenarios = [
            {"id": f"multiwoz:{d.id}", "goal": d.goal.description, "task": d.goal.model_dump()}
            for d in chosen[: args.tiny]
        ]
        personas = _mined_personas(VAL, args.tiny, args.seed)
        plain, mined = _with_and_without("multiwoz", scenarios, personas, work, args.seed)
        systems["prompted_tiny"] = (plain, all_test, {})
        systems["prompted_tiny_mined"] = (mined, all_test, {})
        mined_effect["multiwoz"] = ("prompted_tiny", "prompted_tiny_mined")
    if args.taskmaster:
        convs = run_population(_import_taskmaster(work)).conversations
        held = convs[-args.taskmaster :]  # goals; the users mined are the others
        scenarios = [
            {"id": f"tm:{i}", "goal": str(c.metadata.get("instructions") or c.metadata["goal"])}
            for i, c in enumerate(held)
        ]
        personas = _personas_from(convs[: -args.taskmaster], args.taskmaster, args.seed)
        plain, mined = _with_and_without("taskmaster", scenarios, personas, work, args.seed)
        systems["taskmaster_tiny"] = (plain, held, {})
        systems["taskmaster_tiny_mined"] = (mined, held, {})
        mined_effect["taskmaster"] = ("taskmaster_tiny", "taskmaster_tiny_mined")

    judged = set(systems) if args.judge == "all" else set(filter(None, args.judge.split(",")))
    ask = None
    if judged:
        from simulacra.evaluation._pairwise_judge import model_ask
        from simulacra.models import get_model

        ask = _memo(model_ask(get_model(args.judge_model, role="judge"), seed=args.seed))
    results: dict[str, Any] = {}
    for name, (convs, reference, tasks) in systems.items():
        use_judge = ask if name in judged else None
        t0 = time.perf_counter()
        plain_report = fidelity_report(
            convs, reference, seed=args.seed, baseline=False, tasks=tasks
        )
        seconds = time.perf_counter() - t0
        report, judge_s = plain_report, None
        if use_judge is not None:
            t1 = time.perf_counter()
            report = fidelity_report(
                convs, reference, seed=args.seed, baseline=False, tasks=tasks, judge=use_judge,
                judge_options={"judge_pairs_n": args.judge_pairs,
                               "judge_samples": args.judge_samples,
                               "judge_model": args.judge_model},
            )  # fmt: skip
            judge_s = time.perf_counter() - t1 - seconds
        results[name] = _summary(report, seconds, judge_s)
        print(name, json.dumps({k: results[name][k] for k in ("auc", "report_s")}), flush=True)
    _write(args, results, mined_effect)


def _import_taskmaster(work: Path) -> Path:
    """Taskmaster-4 read from its original file into a run directory (once)."""
    import subprocess
    import sys

    out = work / "tm4"
    if not (out / "run.json").exists():
        subprocess.run(
            [sys.executable, "-m", "simulacra", "data", "import", "taskmaster", str(TM4), "-o",
             str(out)],
            check=True,
        )  # fmt: skip
    return out


def _memo(ask: Any) -> Any:
    """The judge with a memory: the same prompt asked the k-th time gets the same reply within
    this process (the HH pairs of systems paired to the same goals are judged once)."""
    seen: dict[tuple[str, int], str] = {}
    counts: dict[str, int] = {}

    async def memo(prompt: str) -> str:
        k = counts.get(prompt, 0)
        counts[prompt] = k + 1
        if (prompt, k) not in seen:
            seen[prompt, k] = await ask(prompt)
        return seen[prompt, k]

    return memo


def _write(args: Any, results: dict[str, Any], mined_effect: dict[str, Any]) -> None:
    judged = {k: v for k, v in results.items() if "judge" in v}
    det = [v["judge"]["detection"]["value"] for v in judged.values()]
    auc = [v["auc"]["value"] for v in judged.values()]
    effect = {}
    for corpus, (without, with_) in mined_effect.items():
        a, b = results[without]["fingerprint"], results[with_]["fingerprint"]
        effect[corpus] = {
            k: {"without": a[k]["value"], "with": b[k]["value"]} for k in a if k in b
        } | {
            "auc": {"without": results[without]["auc"], "with": results[with_]["auc"]},
            "lexical_z": {
                k: {"without": results[without]["lexical_z"][k], "with": z}
                for k, z in results[with_]["lexical_z"].items()
                if k in results[without]["lexical_z"]
            },
        }
    rr = results["real_vs_real"]
    near_human = (
        all(z["low"] <= 0 <= z["high"] for z in rr["lexical_z"].values())
        and rr["auc"]["low"] <= 0.5 <= rr["auc"]["high"]
    )
    write_result(
        "human_likeness",
        value=rr["report_s"],
        unit="s per report (real vs real, without judge)",
        ratio=None,
        goal="real vs real near human: every lexical z interval holds 0 and the classifier AUC "
        "interval holds 0.5 (its fingerprint divergences are the finite-sample floor)",
        model=f"judge {args.judge_model}; users: none (agenda), embedded:tiny (prompted)",
        goal_met=near_human,
        details={
            "goals": args.goals,
            "seed": args.seed,
            "judge_pairs": args.judge_pairs,
            "judge_samples": args.judge_samples,
            "systems": results,
            "judge_vs_auc_spearman": _spearman(det, auc),
            "judge_vs_auc_n": len(det),
            "mined_profiles_effect": effect,
            "runs": args.run,
            "note": args.note,
        },
        templates=[
            "judge/pairwise_human",
            "user/transcript_system",
            "user/transcript_turn",
            "profile/general",
            "profile/persona",
        ],
        code_paths=CODE,
    )


if __name__ == "__main__":
    main()
