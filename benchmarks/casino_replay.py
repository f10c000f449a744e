"""CaSiNo replay, without any model: the real deal actions of every CaSiNo dialogue, scored by the
negotiation paradigm's outcome check, against the points CaSiNo recorded (docs/paradigms.md).

Reads ``../shared/data/casino/data/split/casino_{train,valid,test}.json`` in their original
format (``load_casino``, ``casino_dialogue``): per split, the dialogues, how many replayed
outcomes equal the recorded points, and the real outcomes (deal / walk-away). Also the real
points of the valid dialogues that ``examples/negotiation.yaml`` starts from.

Goal: every recorded outcome reproduced. Run: python benchmarks/casino_replay.py
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from _common import ROOT, write_result

from simulacra.paradigms._casino import casino_dialogue, load_casino

SPLIT = ROOT.parent / "shared/data/casino/data/split"
EXAMPLE_DIALOGUES = ("157", "431", "375")  # examples/negotiation.yaml

CODE_PATHS = [
    "benchmarks/casino_replay.py",
    "src/simulacra/paradigms/_casino.py",
    "src/simulacra/paradigms/_negotiation.py",
]


def main() -> None:
    t0 = time.perf_counter()
    splits: dict[str, Any] = {}
    examples: dict[str, Any] = {}
    mismatched: list[str] = []
    for split in ("train", "valid", "test"):
        dialogues = [casino_dialogue(d) for d in load_casino(SPLIT / f"casino_{split}.json")]
        bad = [d.dialogue_id for d in dialogues if d.real.points != d.recorded_points]
        mismatched += [f"{split}:{i}" for i in bad]
        splits[split] = {
            "dialogues": len(dialogues),
            "reproduced": len(dialogues) - len(bad),
            "outcomes": dict(Counter(d.real.status for d in dialogues).most_common()),
        }
        if split == "valid":
            for d in dialogues:
                if str(d.dialogue_id) in EXAMPLE_DIALOGUES:
                    examples[str(d.dialogue_id)] = {
                        "status": d.real.status,
                        "recorded_points": d.recorded_points,
                        "allocation": d.real.allocation,
                    }
    total = sum(s["dialogues"] for s in splits.values())
    reproduced = sum(s["reproduced"] for s in splits.values())
    outcomes: Counter[str] = Counter()
    for s in splits.values():
        outcomes.update(s["outcomes"])
    write_result(
        "casino_replay",
        value=reproduced,
        unit=f"CaSiNo dialogues whose replayed outcome equals the recorded points (of {total})",
        ratio=round(reproduced / total, 4),
        goal="every recorded CaSiNo outcome reproduced by replaying its deal actions",
        model="none",
        details={
            "dialogues": total,
            "reproduced": reproduced,
            "outcomes": dict(outcomes.most_common()),
            "splits": splits,
            "mismatched": mismatched,
            "example_dialogues": examples,
            "seconds": round(time.perf_counter() - t0, 1),
        },
        goal_met=reproduced == total,
        code_paths=CODE_PATHS,
    )


if __name__ == "__main__":
    main()
