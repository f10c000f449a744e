"""Judge throughput: items/s of the rubric judge on an embedded model against the raw
llama-cpp-python call it wraps.

Items: a seeded sample of Predictive Engagement DailyDialog query/response pairs. The judge is
:class:`simulacra.evaluation.RubricJudge` (rubric ``engagement``, schema-constrained JSON,
temperature 0) over ``get_model(spec)``; the baseline sends the very same prompt and JSON schema
to ``llama_cpp.Llama.create_chat_completion`` on its own context of the same GGUF file. The two
alternate item by item, so load from other processes hits both alike.

Run: python benchmarks/judge_throughput.py [--model embedded:tiny] [--items 12]
Writes benchmarks/results/judge_throughput.json (value = judge items/s from the median call;
ratio = judge items/s divided by raw items/s, 1.0 = no overhead; means and every call's time
are in the details).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import statistics
import time
from pathlib import Path

from _common import write_result

from simulacra.evaluation import RubricJudge, load_rubric, read_predictive_engagement
from simulacra.models import CATALOGUE, GenerateConfig, get_model, resolve_gguf

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "predictive-engagement"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="embedded:tiny")
    parser.add_argument("--items", type=int, default=12)
    parser.add_argument("--max-tokens", type=int, default=80)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    import llama_cpp

    rated = random.Random(0).sample(read_predictive_engagement(args.data), args.items)
    rubric = load_rubric("engagement")
    tier = args.model.removeprefix("embedded:")
    entry = CATALOGUE[tier]
    judge = RubricJudge(
        get_model({"model": args.model, "n_ctx": entry.n_ctx}, role="judge"),
        rubric,
        retries=0,
        config=GenerateConfig(max_tokens=args.max_tokens),
    )
    with contextlib.redirect_stderr(io.StringIO()):
        raw = llama_cpp.Llama(
            model_path=str(resolve_gguf(entry)),
            n_ctx=entry.n_ctx,
            n_threads=os.cpu_count(),
            n_threads_batch=os.cpu_count(),
            verbose=False,
        )
    schema = judge.config.json_schema
    judge_s = raw_s = 0.0
    scored = raw_parsed = raw_completion = 0
    judge_times: list[float] = []
    raw_times: list[float] = []
    for r in rated:
        start = time.perf_counter()
        (verdict,) = await judge.judge([r.item])
        judge_times.append(time.perf_counter() - start)
        judge_s += judge_times[-1]
        scored += verdict.error is None
        prompt = rubric.prompt(context=list(r.item.context), response=r.item.response)
        start = time.perf_counter()
        out = raw.create_chat_completion(
            messages=[{"role": "user", "content": prompt}],
            max_tokens=args.max_tokens,
            temperature=0.0,
            response_format={"type": "json_object", "schema": schema},
        )
        raw_times.append(time.perf_counter() - start)
        raw_s += raw_times[-1]
        raw_parsed += "{" in (out["choices"][0]["message"]["content"] or "")  # type: ignore[index]
        raw_completion += int(out["usage"]["completion_tokens"])  # type: ignore[index]
    # medians: on a shared machine a few calls stall for seconds, and a mean follows them
    judge_rate = 1 / statistics.median(judge_times)
    raw_rate = 1 / statistics.median(raw_times)
    write_result(
        "judge_throughput",
        value=round(judge_rate, 3),
        unit="items/s (RubricJudge, rubric engagement, schema-constrained; 1 / median seconds)",
        ratio=round(judge_rate / raw_rate, 3),
        goal="ratio near 1: the judge adds no measurable overhead to the llama.cpp call",
        model=args.model,
        goal_met=None,  # "near 1" has no bound: a report
        templates=[f"rubric/engagement@{rubric.version}"],
        model_files=[resolve_gguf(entry)],
        code_paths=[
            "benchmarks/judge_throughput.py",
            "src/simulacra/evaluation/_judge.py",
            "src/simulacra/evaluation/_rubric.py",
            "src/simulacra/models/_embedded.py",
            "src/simulacra/models/_model.py",
        ],
        details={
            "items": args.items,
            "max_tokens": args.max_tokens,
            "judge_seconds": round(judge_s, 1),
            "raw_seconds": round(raw_s, 1),
            "raw_items_per_second": round(raw_rate, 3),
            "judge_items_per_second_mean": round(args.items / judge_s, 3),
            "raw_items_per_second_mean": round(args.items / raw_s, 3),
            "judge_times_s": [round(t, 2) for t in judge_times],
            "raw_times_s": [round(t, 2) for t in raw_times],
            "judge_median_s": round(statistics.median(judge_times), 2),
            "raw_median_s": round(statistics.median(raw_times), 2),
            "judge_completion_tokens": judge.model.usage.completion_tokens,
            "raw_completion_tokens": raw_completion,
            "judge_scored": scored,
            "raw_answers_with_json": raw_parsed,
            "data": "predictive-engagement DailyDialog, seeded sample",
            "note": "judge and raw calls alternate item by item on the same machine",
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
