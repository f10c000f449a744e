"""Position bias of a pairwise LLM judge on real response pairs.

Pairs: the Predictive Engagement DailyDialog set has, for each query, two responses (one
generated, one the human ground truth) with averaged 1–5 engagement ratings. For a seeded sample
of queries whose two responses differ in human rating, the judge compares them in both orders
(:func:`simulacra.evaluation.compare_pair`); the report gives the flip rate, the first-position
win rate and the agreement of order-consistent verdicts with the human preference.

Run: python benchmarks/judge_position_bias.py [--model embedded:default] [--pairs 12]
Writes benchmarks/results/judge_position_bias.json (value = flip rate; ratio = first-position
win rate; 0 and 0.5 for a judge without position bias).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import defaultdict
from pathlib import Path

from _common import write_result

from simulacra.evaluation import compare_pair, position_bias, read_predictive_engagement
from simulacra.models import get_model

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "predictive-engagement"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="embedded:default")
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    by_query = defaultdict(list)
    for r in read_predictive_engagement(args.data):
        by_query[r.item.context].append(r)
    candidates = [
        (ctx, rs[0], rs[1])
        for ctx, rs in by_query.items()
        if len(rs) == 2 and rs[0].human != rs[1].human
    ]
    sample = random.Random(0).sample(candidates, args.pairs)
    model = get_model(args.model, role="judge")
    start = time.perf_counter()
    verdicts = []
    agree = decided = 0
    for ctx, a, b in sample:
        assert a.item.response is not None and b.item.response is not None
        v = await compare_pair(model, context=list(ctx), x=a.item.response, y=b.item.response)
        verdicts.append(v)
        if v.winner in ("x", "y"):
            decided += 1
            agree += (v.winner == "x") == (a.human > b.human)
    seconds = time.perf_counter() - start
    report = position_bias(verdicts)
    write_result(
        "judge_position_bias",
        value=round(report.flip_rate.value, 3),
        unit="share of pairs whose winner flips when the order is swapped",
        ratio=round(report.first_position_win_rate.value, 3),
        goal="flip rate near 0, first-position win rate near 0.5",
        model=args.model,
        goal_met=None,  # "near" has no bound: a report
        code_paths=[
            "benchmarks/judge_position_bias.py",
            "src/simulacra/evaluation/_reliability.py",
            "src/simulacra/evaluation/_ratings.py",
            "src/simulacra/models/_embedded.py",
        ],
        details={
            **report.to_dict(),
            "pairs": args.pairs,
            "order_consistent_decisions": decided,
            "agree_with_human_preference": agree,
            "seconds": round(seconds, 1),
            "calls_per_second": round(2 * args.pairs / seconds, 3),
            "data": "predictive-engagement DailyDialog pairs (generated vs ground truth)",
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
