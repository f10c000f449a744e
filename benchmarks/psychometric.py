"""Do simulated personas answer a Big Five inventory the way their assigned traits say?

A population with spread-out Big Five scores (uniform on [1, 5], quasi-random) answers the
Mini-IPIP (20 items) through ``run_conversation``: each item its own short conversation (or with
``--history`` one conversation per persona); temperature 0, ``max_tokens`` 6. Per trait: Pearson
r between assigned and measured scores with a 95% bootstrap interval, Spearman, MAE; plus the
response rate and wall time. ``--compare K`` also runs the first K personas in the other mode
(and, with ``--transcript``, with the transcript-framed prompt). ``--generate N`` also generates
N personas from ``examples/data/persona_seeds.txt`` and counts valid / invalid / duplicates.

Run: python benchmarks/psychometric.py [--tier default] [--personas 20] [--compare 4]
     [--history] [--transcript] [--generate 10]
Writes benchmarks/results/psychometric.json (value = mean Pearson r over the five traits).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from _common import write_result

from simulacra.evaluation._psychometric import (
    Administration,
    PsychometricReport,
    administer_population,
    psychometric_report,
)
from simulacra.generation._personas import generate_personas
from simulacra.models import get_model
from simulacra.profiles import PopulationSpec, sample_population
from simulacra.profiles._inventory import TRAITS, Inventory, load_inventory

SPEC = {
    "n": 20,
    "seed": 11,
    "quasi_random": True,
    "attributes": {
        "demographics.age": {"uniform": [20, 75], "integer": True},
        "demographics.gender": {"categorical": {"female": 0.5, "male": 0.5}},
        "demographics.occupation": {
            "categorical": {"nurse": 1, "teacher": 1, "engineer": 1, "cashier": 1, "student": 1}
        },
        **{f"big_five.{t}": {"uniform": [1, 5]} for t in TRAITS},
    },
}
SEEDS = Path(__file__).resolve().parents[1] / "examples" / "data" / "persona_seeds.txt"


def _summary(report: PsychometricReport, seconds: float) -> dict[str, object]:
    return {
        "mean_pearson": report.mean_pearson,
        "response_rate": report.response_rate,
        "seconds": round(seconds, 1),
        "traits": [t.model_dump() for t in report.traits],
    }


async def _run(
    tier: str, personas: int, compare: int, *, fresh_main: bool, transcript: bool
) -> tuple[PsychometricReport, dict[str, object]]:
    inventory = load_inventory("mini-ipip")
    spec = PopulationSpec.model_validate({**SPEC, "n": personas})
    people = [
        p.model_copy(update={"name": f"Person {i + 1}"})
        for i, p in enumerate(sample_population(spec))
    ]
    model = get_model(
        {"model": f"embedded:{tier}", "max_tokens": 6, "temperature": 0, "seed": 0}, role="user"
    )

    def progress(adm: Administration) -> None:
        print(f"  {adm.persona_id}: {adm.answered}/{len(adm.answers)} answered", flush=True)

    main_label = "fresh_context+chat" if fresh_main else "history+chat"
    details: dict[str, object] = {"mode": main_label}
    try:
        start = time.perf_counter()
        adms = await administer_population(
            people, model, inventory, concurrency=1, fresh_context=fresh_main, on_done=progress
        )
        main_s = time.perf_counter() - start
        report = psychometric_report(
            adms, inventory, model=f"embedded:{tier}", fresh_context=fresh_main
        )
        details["main"] = _summary(report, main_s)
        details["answers"] = {a.persona_id: [x.value for x in a.answers] for a in adms}
        if compare:
            subset = people[:compare]
            modes: dict[str, object] = {
                main_label: _mode(adms[:compare], inventory, main_s * compare / personas)
            }
            variants = [
                ("history+chat" if fresh_main else "fresh_context+chat", not fresh_main, "chat")
            ]
            if transcript:
                variants.append(
                    (f"{main_label.split('+')[0]}+transcript", fresh_main, "transcript")
                )
            for label, fresh_context, prompting in variants:
                start = time.perf_counter()
                other = await administer_population(
                    subset,
                    model,
                    inventory,
                    concurrency=1,
                    fresh_context=fresh_context,
                    prompting=prompting,  # type: ignore[arg-type]
                    on_done=progress,
                )
                modes[label] = _mode(other, inventory, time.perf_counter() - start)
            details["mode_comparison"] = {"personas": compare, "modes": modes}
    finally:
        await model.aclose()
    return report, details


def _mode(adms: list[Administration], inventory: Inventory, seconds: float) -> dict[str, object]:
    report = psychometric_report(adms, inventory, model="-")
    values = [[x.value for x in a.answers] for a in adms]
    return {
        "response_rate": report.response_rate,
        "seconds": round(seconds, 1),
        "mean_abs_error": _mae(adms),
        "distinct_answers_per_persona": [len({v for v in vs if v is not None}) for vs in values],
        "example_answers": [x.raw for x in adms[0].answers[:3]],
    }


def _mae(adms: list[Administration]) -> float | None:
    diffs = [
        abs(a - m)
        for adm in adms
        for t in TRAITS
        if (a := adm.assigned.get(t)) is not None and (m := adm.measured.get(t)) is not None
    ]
    return round(sum(diffs) / len(diffs), 3) if diffs else None


async def _generate(tier: str, n: int) -> dict[str, object]:
    seeds = [s for s in SEEDS.read_text().splitlines() if s.strip() and not s.startswith("#")]
    model = get_model(
        {"model": f"embedded:{tier}", "max_tokens": 300, "temperature": 0.8, "seed": 0},
        role="persona_gen",
    )
    start = time.perf_counter()
    try:
        result = await generate_personas(seeds[:n], model, retries=1, concurrency=1)
    finally:
        await model.aclose()
    return {
        "seeds": n,
        "valid": len(result.personas),
        "invalid": len(result.rejected),
        "duplicates_dropped": result.duplicates,
        "model_calls": result.attempts,
        "seconds": round(time.perf_counter() - start, 1),
        "rejections": [r.reason for r in result.rejected],
        "examples": [p.model_dump(mode="json", exclude_defaults=True) for p in result.personas[:3]],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", default="default")
    parser.add_argument("--personas", type=int, default=20)
    parser.add_argument("--compare", type=int, default=0)
    parser.add_argument("--history", action="store_true", help="Main run with history kept.")
    parser.add_argument(
        "--transcript", action="store_true", help="Also compare the transcript prompt."
    )
    parser.add_argument("--generate", type=int, default=0)
    args = parser.parse_args()
    report, details = await _run(
        args.tier,
        args.personas,
        args.compare,
        fresh_main=not args.history,
        transcript=args.transcript,
    )
    if args.generate:
        details["generation"] = await _generate(args.tier, args.generate)
    for t in report.traits:
        print(f"{t.trait:<18} r={t.pearson} {t.pearson_ci} rho={t.spearman} mae={t.mae} n={t.n}")
    print(f"response rate {report.response_rate}")
    details["inventory"] = report.inventory
    details["personas"] = args.personas
    details["item_missing"] = report.item_missing
    met = all(
        t.pearson is not None
        and t.pearson > 0.5
        and t.pearson_ci is not None
        and t.pearson_ci[0] > 0
        for t in report.traits
    )
    write_result(
        "psychometric",
        value=report.mean_pearson if report.mean_pearson is not None else float("nan"),
        unit="mean Pearson r (assigned vs. Mini-IPIP-measured Big Five, 5 traits)",
        ratio=report.response_rate,
        goal="r > 0.5 on every trait with the 95% interval above 0 (ratio = response rate)",
        goal_met=met,
        model=f"embedded:{args.tier}",
        templates=["profile/persona", "user/chat_system", "user/chat_kickoff"],
        code_paths=[
            "benchmarks/psychometric.py",
            "src/simulacra/evaluation/_psychometric.py",
            "src/simulacra/profiles/_inventory.py",
            "src/simulacra/profiles/data/mini_ipip.yaml",
            "src/simulacra/profiles/_population.py",
            "src/simulacra/generation/_personas.py",
            "src/simulacra/participants/_simulated_user.py",
        ],
        details=details,
    )


if __name__ == "__main__":
    asyncio.run(main())
