"""Build the real-user style bank shipped with Simulacra (``participants/data/user_style.json``).

Real user turns from the validation split of MultiWOZ 2.1 and the Taskmaster-1 sample, Taskmaster-4 coffee dialogues and the ABCD sample
in ``../shared/data`` (read in their original formats through the corpus adapters), with each
turn's position in its dialogue. The goal-state user retrieves a few of them per turn as style
examples (length and register, not content). MultiWOZ *test* is not used: it is where the user
fidelity benchmark reports. Run from the repository root::

    .venv/bin/python scripts/build_user_style.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from simulacra.datasets import import_corpus
from simulacra.evaluation._fidelity_classifier import surface_text
from simulacra.participants._style import acts_to_notes

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OUT = Path(__file__).resolve().parents[1] / "src/simulacra/participants/data/user_style.json"
SOURCES = (
    ("multiwoz21", SHARED / "multiwoz21/val.json.zip", 1400, "MultiWOZ 2.1 val (MIT)"),
    (
        "taskmaster",
        SHARED / "taskmaster/TM-1-2019/sample.json",
        300,
        "Taskmaster-1 sample (CC BY 4.0)",
    ),
    (
        "taskmaster",
        SHARED / "taskmaster/TM-4-2024/data/data_07.json",
        300,
        "Taskmaster-4 (CC BY 4.0)",
    ),
    ("abcd", SHARED / "abcd/data/abcd_sample.json", 300, "ABCD sample (MIT)"),
)


def _tidy(text: str) -> str:
    """The corpus tokeniser's spacing undone, case kept as the person typed it."""
    return surface_text(text)


def main() -> int:
    rng = random.Random(20261207)
    rows: list[dict[str, object]] = []
    for kind, path, quota, licence in SOURCES:
        pool: list[dict[str, object]] = []
        for conv in import_corpus(kind, path):
            turns = [t for t in conv.turns if t.speaker == "user" and t.utterance.strip()]
            user = [t.utterance for t in turns]
            for i, text in enumerate(user):
                text = _tidy(text)
                words = len(text.split())
                if not 1 <= words <= 40:
                    continue
                position = "first" if i == 0 else "last" if i == len(user) - 1 else "middle"
                row: dict[str, object] = {"text": text, "corpus": kind, "position": position}
                acts = turns[i].metadata.get("acts")
                if isinstance(acts, str) and acts:
                    row["notes"] = acts_to_notes(acts)
                pool.append(row)
        seen: set[str] = set()
        rng.shuffle(pool)
        kept = 0
        for row in pool:
            key = str(row["text"]).lower()
            if key in seen:
                continue
            seen.add(key)
            rows.append(row)
            kept += 1
            if kept >= quota:
                break
        print(f"{kind}: {kept} of {len(pool)} user turns ({licence})")
    data = {
        "kind": "simulacra.user_style",
        "version": 1,
        "sources": [
            {"corpus": k, "file": str(p.relative_to(SHARED)), "licence": lic}
            for k, p, _, lic in SOURCES
        ],
        "turns": rows,
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB, {len(rows)} turns)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
