"""The non-LLM judge baselines against human ratings on every item of each rating set.

For each set — Predictive Engagement DailyDialog turns (600) and ConvAI turns (297), ABA-ReDial
turns (600) and dialogues (195), all read from ``../shared/data`` in their original formats —
and each baseline judge (``baseline``: length/overlap features + MiniLM similarity;
``baseline:lexical``: the features alone), runs

    simulacra eval meta ../shared/data/<set> --adapter <adapter> [--subset <s>] --judge <judge>

and writes its report (Spearman, Kendall and Pearson with 95% bootstrap intervals, 1,000
resamples, seed 0, per level) as ``benchmarks/results/judge_meta/full_<set>_baseline[_lexical]``
``.json`` (value = Spearman at the set's own level; the report under ``details``). These are the
"Non-LLM baseline on all items" table of docs/evaluation.md. Also ``pe_dd_baseline50`` and
``ab_turn_baseline50``: ``baseline`` on the seeded 50-item samples (``--limit 50 --seed 0``) that
the embedded judge was run on (``judge_meta/*_embedded.json``, not rerun here: they need the
default model).

Run: python benchmarks/judge_meta_baselines.py [--only full_pe_dd_baseline_lexical ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import ROOT, simulacra_cli, write_result

DATA = ROOT.parent / "shared" / "data"
SETS = {
    # name: (folder, adapter, subset, level)
    "pe_dd": ("predictive-engagement", "predictive-engagement", None, "turn"),
    "pe_convai": ("predictive-engagement", "predictive-engagement", "convai", "turn"),
    "ab_turn": ("ab-redial-satisfaction", "ab-redial", None, "turn"),
    "ab_dialogue": ("ab-redial-satisfaction", "ab-redial", "dialogue", "dialogue"),
}
SAMPLES = {"pe_dd_baseline50": "pe_dd", "ab_turn_baseline50": "ab_turn"}  # baseline, 50 items
JUDGES = {
    "baseline": ("baseline", "all-MiniLM-L6-v2 similarity + length/overlap features (no LLM)"),
    "baseline_lexical": ("baseline:lexical", "length/overlap features (no model)"),
}
CODE_PATHS = [
    "benchmarks/judge_meta_baselines.py",
    "src/simulacra/evaluation/_judge.py",
    "src/simulacra/evaluation/_meta.py",
    "src/simulacra/evaluation/_correlation.py",
    "src/simulacra/evaluation/_ratings.py",
    "src/simulacra/cli/_eval.py",
    "src/simulacra/cli/_eval_common.py",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="result names to run (default: all)")
    args = parser.parse_args()
    runs = [
        (f"full_{set_name}_{judge_key}", set_name, judge_key, [])
        for set_name in SETS
        for judge_key in JUDGES
    ]
    runs += [(name, s, "baseline", ["--limit", "50", "--seed", "0"]) for name, s in SAMPLES.items()]
    for name, set_name, judge_key, sample in runs:
        if args.only and name not in args.only:
            continue
        folder, adapter, subset, level = SETS[set_name]
        judge, model = JUDGES[judge_key]
        cli = ["eval", "meta", str(DATA / folder), "--adapter", adapter]
        cli += ["--subset", subset] if subset else []
        cli += ["--judge", judge, *sample]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "report.json"
            started = time.perf_counter()
            simulacra_cli(*cli, "-o", str(out))
            seconds = time.perf_counter() - started
            report = json.loads(out.read_text(encoding="utf-8"))
        report.get("length_bias", {}).pop("items", None)  # per-item scores: not kept
        spearman = report["levels"][level]["spearman"]
        write_result(
            f"judge_meta/{name}",
            value=round(spearman["value"], 4),
            unit=f"Spearman with human ratings ({report['dataset']}, {level} level, "
            f"n = {spearman['n']})",
            ratio=None,
            goal="report: how far a judge without an LLM gets "
            + ("on the 50-item sample of the embedded judge" if sample else "on the whole set"),
            model=model,
            goal_met=None,
            code_paths=CODE_PATHS,
            details={
                "simulacra": "simulacra " + " ".join(cli).replace(str(DATA), "../shared/data"),
                "seconds": round(seconds, 1),
                **report,
            },
        )


if __name__ == "__main__":
    main()
