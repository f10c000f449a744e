"""Role consistency of role-play characters under knowledge-boundary probes.

For each example character (examples/roleplay/*.yaml: Ada Lovelace 1843, a 1924 ship's captain,
Mozart 1786), :func:`simulacra.evaluation.run_probes` asks its knowledge-boundary probes (its own
unknown topics, anachronism families after its cutoff, and "who are you, what year is it?"), one
short conversation each, and :func:`simulacra.evaluation.check_consistency` (lexical rules) checks
every answer. The share of in-character answers is reported with a 95% Wilson interval.

With ``--judge``, the same answers are also judged by :func:`simulacra.evaluation.judge_consistency`
on the same model (greedy, JSON-schema constrained), and the agreement of the two checkers is
reported (share of turns where both give the same verdict, over the turns the judge scored).

Run: python benchmarks/roleplay_consistency.py [--tier default] [--probes 6] [--framings user,chat]
    [--judge]
Writes benchmarks/results/roleplay_consistency.json (value = in-character share over all
characters with the first framing; ratio = second framing ÷ first when two are measured).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from _common import write_result

from simulacra.evaluation import (
    ConsistencyReport,
    TurnCheck,
    judge_consistency,
    run_probes,
    wilson,
)
from simulacra.models import GenerateConfig, get_model
from simulacra.profiles._character_file import load_character

CARDS = sorted((Path(__file__).resolve().parents[1] / "examples" / "roleplay").glob("*.yaml"))


async def measure(
    tier: str, framing: str, probes: int, max_tokens: int, judge: bool
) -> dict[str, object]:
    model = get_model(
        {"model": f"embedded:{tier}", "temperature": 0.7, "max_tokens": max_tokens}, role="user"
    )
    rows: list[dict[str, object]] = []
    turns: list[TurnCheck] = []
    judged: list[tuple[bool, TurnCheck]] = []
    judge_model = (
        get_model({"model": f"embedded:{tier}", "max_tokens": 96, "temperature": 0}, role="judge")
        if judge
        else None
    )
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
            if judge_model is not None:
                verdicts = await judge_consistency(
                    list(result.conversations),
                    model=judge_model,
                    profile=character,
                    speaker="character",
                )
                judged.extend(
                    (lex.in_character, j)
                    for lex, j in zip(report.turns, verdicts.turns, strict=True)
                )
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
        if judge_model is not None:
            await judge_model.aclose()
    total = ConsistencyReport("lexical", tuple(turns))
    share = wilson(total.in_character, total.n)
    agreement: dict[str, object] = {}
    if judge:
        scored = [(lex, j) for lex, j in judged if j.scored]
        agree = wilson(sum(lex == j.in_character for lex, j in scored), len(scored))
        jshare = wilson(sum(j.in_character for _, j in scored), len(scored))
        agreement = {
            "judge": "judge/roleplay_consistency@1 (same model, greedy)",
            "judge_scored": len(scored),
            "judge_unscored": len(judged) - len(scored),
            "judge_share": None if not scored else round(jshare.value, 3),
            "judge_ci95": None if not scored else [round(jshare.low, 3), round(jshare.high, 3)],
            "agreement": None if not scored else round(agree.value, 3),
            "agreement_ci95": None if not scored else [round(agree.low, 3), round(agree.high, 3)],
            "judge_verdicts": [
                {
                    "answer": j.utterance,
                    "lexical": lex,
                    "judge": j.in_character,
                    "why": j.flags[0].reason if j.flags else j.error,
                }
                for lex, j in judged
            ],
        }
        print(f"{tier:8} {framing:5} judge {jshare} agreement {agree}", flush=True)
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
        **agreement,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", default="default")
    parser.add_argument("--probes", type=int, default=6, help="probes per character")
    parser.add_argument("--framings", default="user", help="user,chat")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--judge", action="store_true", help="also judge the answers (LLM)")
    args = parser.parse_args()
    rows = [
        await measure(args.tier, framing, args.probes, args.max_tokens, args.judge)
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
        goal_met=float(first["share"]) >= 0.8,  # type: ignore[arg-type]
        templates=["profile/roleplay", "user/transcript_system", "user/transcript_turn"]
        + (["judge/roleplay_consistency"] if args.judge else []),
        code_paths=[
            "benchmarks/roleplay_consistency.py",
            "examples/roleplay",
            "src/simulacra/evaluation/_probes.py",
            "src/simulacra/evaluation/_consistency.py",
            "src/simulacra/evaluation/_consistency_judge.py",
            "src/simulacra/profiles/_character_file.py",
            "src/simulacra/participants/_simulated_user.py",
            "src/simulacra/participants/_targets.py",
            "src/simulacra/models/_embedded.py",
        ],
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
