"""Throughput of the lexical/diversity metric set on 10,000 conversations.

Builds 10,000 deterministic synthetic user/assistant conversations (6 turns, 8–20 words a turn,
from a 2,000-word vocabulary) with one reference text each, then times
:func:`simulacra.evaluation.compute_metrics` with BLEU, chrF, ROUGE-L, exact match, distinct-n,
turn counts and lengths — every aggregate with its bootstrap interval (1,000 resamples).
Also checks that the per-conversation values equal sacrebleu/rouge-score called directly.

Run: python benchmarks/metrics_throughput.py [--n 10000] [--resamples 1000]
Writes benchmarks/results/metrics_throughput.json (value = wall seconds; goal <= 30 s on 2
cores; ratio = goal / value; details.cpu_seconds = CPU time of this process, which other
load on a shared machine does not inflate).
"""

from __future__ import annotations

import argparse
import os
import random
import time

import sacrebleu
from _common import write_result
from rouge_score import rouge_scorer

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.evaluation._metrics import compute_metrics, side_text

LEXICAL_SET = ("bleu", "chrf", "rouge_l", "exact_match", "distinct", "turns", "lengths")
GOAL_S = 30.0


def _conversations(n: int, seed: int = 0) -> tuple[list[Conversation], dict[str, str]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(2000)]
    people = [
        ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
        ParticipantInfo(id="bot", name="Bot", kind=ParticipantKind.AI_SYSTEM),
    ]
    convs, refs = [], {}
    for i in range(n):
        turns = [
            Turn(
                speaker="user" if t % 2 == 0 else "bot",
                utterance=" ".join(rng.choices(vocab, k=rng.randint(8, 20))),
                time=0.0,
            )
            for t in range(6)
        ]
        c = Conversation(id=f"c{i}", participants=people, turns=turns, scenario_id=f"s{i % 50}")
        convs.append(c)
        user = " ".join(t.utterance for t in turns[::2]).split()
        refs[c.id] = " ".join(user[: len(user) // 2] + rng.choices(vocab, k=10))
    return convs, refs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    convs, refs = _conversations(args.n)
    start, cpu_start = time.perf_counter(), time.process_time()
    report = compute_metrics(convs, metrics=LEXICAL_SET, references=refs, resamples=args.resamples)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    mismatches = 0
    for c in convs[:200]:
        hyp, ref, row = "\n".join(side_text(c)), refs[c.id], report.per_conversation[c.id]
        mismatches += row["bleu"] != sacrebleu.sentence_bleu(hyp, [ref]).score
        mismatches += row["chrf"] != sacrebleu.sentence_chrf(hyp, [ref]).score
        mismatches += row["rouge_l"] != scorer.score(ref, hyp)["rougeL"].fmeasure
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    write_result(
        "metrics_throughput",
        value=round(seconds, 2),
        unit="s",
        ratio=round(GOAL_S / seconds, 2),
        goal=f"<= {GOAL_S:.0f} s for the lexical/diversity set on {args.n} conversations, 2 cores",
        model="none (lexical metrics: sacrebleu, rouge-score)",
        goal_met=seconds <= GOAL_S and mismatches == 0,
        code_paths=[
            "benchmarks/metrics_throughput.py",
            "src/simulacra/evaluation/_metrics.py",
            "src/simulacra/evaluation/_stats.py",
        ],
        details={
            "conversations": args.n,
            "metrics": list(LEXICAL_SET),
            "resamples": args.resamples,
            "cpu_seconds": round(cpu_seconds, 2),
            "usable_cores": cores,
            "mismatches_vs_reference_libraries_first_200": mismatches,
            "corpus_bleu": report.points.get("corpus_bleu"),
            "mean_bleu": report.values["bleu"].value,
            "mean_rouge_l": report.values["rouge_l"].value,
            "distinct_2": report.points.get("distinct_2"),
        },
    )


if __name__ == "__main__":
    main()
