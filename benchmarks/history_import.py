"""History import time against history size (issue #21 item 8): goal linear.

A seeded chat log of N messages between the person ("sam") and two friends is written as JSONL:
facts and preferences that change over time ("I live in X", "I like Y", "I don't like Y"),
events ("I went to the ...", keyless memories that consolidation compares with the others),
chit-chat drawn from a vocabulary of 2,000 words, names, phone numbers and e-mail addresses for
redaction. ``import_history`` (redaction on, the defaults) reads it at 1k, 10k and 100k messages;
the wall time per message at each size, and the ratio of the per-message time at the largest size
to the smallest (1.0 = exactly linear), are reported.

Run: python benchmarks/history_import.py [--sizes 1000,10000,100000] [--seed 0]
Writes benchmarks/results/history_import.json.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from _common import write_result

from simulacra.profiles import import_history

CITIES = ["Porto", "Lisbon", "Leeds", "Berlin", "Madrid", "Oslo", "Austin", "Kyoto"]
THINGS = ["chess", "jazz", "hiking", "sushi", "football", "poetry", "baking", "cycling", "opera"]
JOBS = ["nurse", "teacher", "plumber", "designer", "chef", "pilot", "lawyer"]
FRIENDS = ["bob", "zoe"]


def _vocabulary(rng: random.Random, n: int = 2000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def make_log(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    words = _vocabulary(rng)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            session = f"s{i // 50}"
            if i % 2:
                speaker, text = rng.choice(FRIENDS), " ".join(rng.choices(words, k=8)) + "?"
            else:
                speaker = "sam"
                roll = rng.random()
                if roll < 0.1:
                    text = f"I live in {rng.choice(CITIES)} now."
                elif roll < 0.2:
                    text = f"I {rng.choice(['like', 'love', 'hate'])} {rng.choice(THINGS)}."
                elif roll < 0.25:
                    text = f"I work as a {rng.choice(JOBS)}."
                elif roll < 0.28:
                    text = f"Call me on +44 7700 900{rng.randint(100, 999)} or mail sam{i}@example.com"
                elif roll < 0.55:
                    verb = rng.choice(["went to", "visited", "bought", "started", "met"])
                    text = f"I {verb} the {' '.join(rng.choices(words, k=rng.randint(2, 5)))} today."
                else:
                    text = " ".join(rng.choices(words, k=rng.randint(5, 14))) + "."
            f.write(json.dumps({"speaker": speaker, "text": text, "session": session}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            log = Path(tmp) / f"log_{n}.jsonl"
            make_log(log, n, args.seed)
            started = time.perf_counter()
            result = import_history([log], person="sam")
            wall = time.perf_counter() - started
            rows.append(
                {
                    "messages": n,
                    "wall_s": round(wall, 3),
                    "us_per_message": round(wall / n * 1e6, 1),
                    "memories": len(result.individual.memories),
                    "redactions": result.redactions.total,
                }
            )
            print(rows[-1])
    ratio = rows[-1]["us_per_message"] / rows[0]["us_per_message"]
    write_result(
        "history_import",
        value=rows[-1]["wall_s"],
        unit=f"seconds to import {sizes[-1]:,} messages",
        ratio=round(ratio, 2),
        goal=(
            "linear: time per message at the largest size within 2x of the smallest "
            "(ratio = per-message time at the largest size / at the smallest)"
        ),
        model="none",
        goal_met=ratio <= 2.0,
        details={"sizes": rows, "seed": args.seed},
        code_paths=[
            "benchmarks/history_import.py",
            "src/simulacra/profiles/_import.py",
            "src/simulacra/profiles/_consolidate.py",
            "src/simulacra/profiles/_extract.py",
            "src/simulacra/profiles/_history.py",
            "src/simulacra/profiles/_pii.py",
            "src/simulacra/profiles/_pii_detect.py",
        ],
    )


if __name__ == "__main__":
    main()
