"""A before/after check of one change to the default user on MultiWOZ 2.1 *val* goals, where
tuning is allowed (``benchmarks/user_fidelity.py`` reports on test).

Measures two run directories of ``user_fidelity``'s ``all`` variant made on the same seeded val
goals (``--before`` at the code before the change, ``--after`` with it) with
``user_fidelity._measure`` against the real val dialogues of those goals, and counts who worded
the user turns. Runs are made with ``user_fidelity._run`` (for example through a small driver
that points ``user_fidelity.TEST`` at val); say which commits made them in ``BENCHMARK_NOTE``.

Run: python benchmarks/user_fidelity_val.py --before DIR --after DIR --goals 30 --seed 11
Writes benchmarks/results/user_fidelity_val.json.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import user_fidelity as uf
from _common import write_result

from simulacra.datasets import multiwoz_dialogues

VAL = uf.ROOT.parent / "shared/data/multiwoz21/val.json.zip"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--goals", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    uf.TEST = VAL  # the goal sampler reads the split from here
    goals = uf._sample_goals(args.goals, args.seed)
    by_id = dict(goals)
    reference = [d for d in multiwoz_dialogues(VAL, with_turns=True) if d.id in by_id]
    measured: dict[str, Any] = {}
    for name, run_dir in (("before", args.before), ("after", args.after)):
        m = uf._measure(Path(run_dir), by_id, reference, args.seed)
        measured[name] = {
            k: m[k]
            for k in (
                "conversations",
                "user_turns",
                "role_reversal",
                "premature_stop",
                "goal_coverage",
                "regenerations_per_user_turn",
                "verbalised_by",
                "user_turns_per_dialogue",
                "words_per_turn_ks",
                "turns_per_dialogue_ks",
                "auc",
                "real_vs_real",
                "seconds_per_conversation",
                "terminations",
            )
        }
    before = measured["before"]["auc"]["auc"]["value"]
    after = measured["after"]["auc"]["auc"]["value"]
    write_result(
        "user_fidelity_val",
        value=after,
        unit="distinguishability AUC of the default user vs real val users, after the change",
        ratio=round(after / before, 3) if before else None,
        goal="a val check, not a goal: the change must lower the AUC without raising role "
        "reversal or premature stops, or lowering goal coverage",
        model="embedded:default (user and target)",
        details={"goals": args.goals, "seed": args.seed, "split": "val", **measured},
        goal_met=None,
        code_paths=["benchmarks/user_fidelity_val.py", "benchmarks/user_fidelity.py"],
    )


if __name__ == "__main__":
    main()
