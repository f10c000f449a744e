"""Role consistency of role-play characters under knowledge-boundary probes.

For each example character (examples/roleplay/*.yaml: Ada Lovelace 1843, a 1924 ship's captain,
Mozart 1786), :func:`simulacra.evaluation.run_probes` asks its knowledge-boundary probes (its own
unknown topics, anachronism families after its cutoff, and "who are you, what year is it?"), one
short conversation each, and :func:`simulacra.evaluation.check_consistency` (lexical rules) checks
every answer. The share of in-character answers is reported with a 95% Wilson interval.

Run: python benchmarks/roleplay_consistency.py [--tier default] [--probes 6] [--framings user]
Writes benchmarks/results/roleplay_consistency.json (value = in-character share over all
characters with the first framing; ratio = second framing ÷ first when two are measured).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from _common import write_result

from simulacra.evaluation import ConsistencyReport, TurnCheck, run_probes, wilson
from simulacra.models import GenerateConfig, get_model
from simulacra.profiles._character_file import load_character

CARDS = sorted((Path(__file__).resolve().parents[1] / "examples" / "roleplay").glob("*.yaml"))


async def measure(tier: str, framing: str, probes: int, max_tokens: int) -> dict[str, object]:
    model = get_model(
        {"model": f"embedded:{tier}", "temperature": 0.7, "max_tokens": max_tokens}, role="user"
    )
    rows: list[dict[str, object]] = []
    turns: list[TurnCheck] = []
    started = time.perf_counter()
    try:
        for k, card in enumerate(CARDS):
            character = load_character(card)
            result = await run_probes(
                character,
                model=model,
                limit=probes,
                framing="chat" if framing == "chat" else "user",
                config=GenerateConfig(seed=100 + k),
            )
            report = result.report
            turns.extend(report.turns)
            share = report.share
            rows.append(
                {
                    "character": character.handle,
                    "n": report.n,
                    "in_character": report.in_character,
                    "share": round(share.value, 3),
                    "ci95": [round(share.low, 3), round(share.high, 3)],
                    "by_rule": report.by_rule(),
                    "errors": list(result.errors),
                    "answers": [
                        {
                            "probe": p.question,
                            "answer": t.utterance,
                            "flags": [f"{f.rule}: {f.reason}" for f in t.flags],
                        }
                        for p, t in zip(result.probes, report.turns, strict=False)
                    ],
                }
            )
            print(
                f"{tier:8} {framing:5} {character.name:16} {report.in_character}/{report.n} "
                f"{share}  {report.by_rule()}",
                flush=True,
            )
    finally:
        await model.aclose()
    total = ConsistencyReport("lexical", tuple(turns))
    share = wilson(total.in_character, total.n)
    return {
        "tier": tier,
        "framing": framing,
        "n": total.n,
        "in_character": total.in_character,
        "share": round(share.value, 3),
        "ci95": [round(share.low, 3), round(share.high, 3)],
        "by_rule": total.by_rule(),
        "seconds": round(time.perf_counter() - started, 1),
        "characters": rows,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", default="default")
    parser.add_argument("--probes", type=int, default=6, help="probes per character")
    parser.add_argument("--framings", default="user", help="user,chat")
    parser.add_argument("--max-tokens", type=int, default=48)
    args = parser.parse_args()
    rows = [
        await measure(args.tier, framing, args.probes, args.max_tokens)
        for framing in args.framings.split(",")
    ]
    first = rows[0]
    ratio = None
    if len(rows) > 1 and first["share"]:
        ratio = round(float(rows[1]["share"]) / float(first["share"]), 3)  # type: ignore[arg-type]
    write_result(
        "roleplay_consistency",
        value=float(first["share"]),  # type: ignore[arg-type]
        unit=f"fraction of probe answers in character (lexical check, {first['framing']} framing)",
        ratio=ratio,
        goal="report the in-character share with its 95% CI; aim >= 0.8 on embedded:default",
        model=f"embedded:{args.tier}",
        details={
            "characters": [c.stem for c in CARDS],
            "probes_per_character": args.probes,
            "max_tokens": args.max_tokens,
            "temperature": 0.7,
            "checker": "lexical/roleplay_consistency@1",
            "ratio_is": "second framing share / first framing share" if ratio else None,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
