"""PII redaction: recall per category on a planted corpus, and the share of real turns left
untouched (issue #21 item 5).

Recall: ``benchmarks/_pii_corpus.py`` plants one value per message, seeded, ``--per-category``
messages per category; an item is *caught* when every piece of it (the number; an address's
house number, street, city and postcode; each word of a name) is gone from the redacted text,
*partly* caught when some are. Each message goes through a fresh ``Redactor`` (``learn`` then
``redact``), as one line of an imported history.

Precision: every user turn of MultiWOZ 2.1 **test** and every turn of Topical-Chat (test_freq,
test_rare), read in their original formats from ../shared/data through the corpus adapters.
Public task-oriented and chit-chat corpora hold no personal data of their writers, so any change
is a false positive (public figures named in Topical-Chat included). The value is the share left
untouched.

Both are measured with the default redactor and with ``given_names=True`` (full names with a
common given name, no cue needed).

Run: python benchmarks/pii_redaction.py [--per-category 100] [--seed 21]
Writes benchmarks/results/pii_redaction.json.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import write_result
from _pii_corpus import CATEGORIES, PlantedItem, planted_corpus

from simulacra.datasets._multiwoz_adapter import read_multiwoz
from simulacra.datasets._topical_chat import read_topical_chat
from simulacra.profiles._pii import Redactor

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RECALL_GOAL = 0.95
UNTOUCHED_GOAL = 0.98
# NAME_BARE is measured but not claimed by the default redactor (see docs/individuals.md).
DOCUMENTED = tuple(c for c in CATEGORIES if c != "NAME_BARE")


def _redact(text: str, given_names: bool) -> str:
    redactor = Redactor(given_names=given_names)
    redactor.learn(text)
    return redactor.redact(text, source="benchmark")


def recall(items: list[PlantedItem], given_names: bool) -> dict[str, Any]:
    caught: Counter[str] = Counter()
    partly: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed: dict[str, list[str]] = {}
    for item in items:
        out = _redact(item.text, given_names)
        left = [p for p in item.pieces if p in out]
        total[item.category] += 1
        if not left:
            caught[item.category] += 1
        else:
            if len(left) < len(item.pieces):
                partly[item.category] += 1
            examples = missed.setdefault(item.category, [])
            if len(examples) < 3:
                examples.append(f"{item.text!r} -> {out!r}")
    return {
        c: {
            "n": total[c],
            "recall": round(caught[c] / total[c], 4),
            "partly": partly[c],
            "missed_examples": missed.get(c, []),
        }
        for c in CATEGORIES
    }


def real_turns() -> tuple[list[str], dict[str, int]]:
    turns: list[str] = []
    for c in read_multiwoz(DATA / "multiwoz21" / "test.json.zip"):
        turns += [t.utterance for t in c.turns if t.speaker == "user"]
    n_multiwoz = len(turns)
    for c in read_topical_chat(DATA / "topical-chat" / "conversations"):
        turns += [t.utterance for t in c.turns]
    return turns, {"multiwoz21_test_user": n_multiwoz, "topical_chat": len(turns) - n_multiwoz}


def untouched(turns: list[str], given_names: bool) -> dict[str, Any]:
    changed: Counter[str] = Counter()
    touched = 0
    examples: list[str] = []
    for text in turns:
        redactor = Redactor(given_names=given_names)
        redactor.learn(text)
        out = redactor.redact(text, source="real")
        if out != text:
            touched += 1
            changed.update(redactor.report().counts)
            if len(examples) < 8:
                examples.append(f"{text[:120]!r} -> {out[:120]!r}")
    return {
        "turns": len(turns),
        "touched": touched,
        "untouched_share": round(1 - touched / len(turns), 4),
        "false_positives_by_type": dict(changed.most_common()),
        "examples": examples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-category", type=int, default=100)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    items = planted_corpus(args.per_category, args.seed)
    turns, sources = real_turns()
    started = time.perf_counter()
    results = {}
    for label, given in (("default", False), ("given_names", True)):
        results[label] = {"recall": recall(items, given), "precision": untouched(turns, given)}
    wall = time.perf_counter() - started
    default = results["default"]
    recalls = {c: default["recall"][c]["recall"] for c in DOCUMENTED}
    worst = min(recalls.values())
    share = default["precision"]["untouched_share"]
    goal_met = worst >= RECALL_GOAL and share >= UNTOUCHED_GOAL
    for label, r in results.items():
        print(
            label,
            {c: v["recall"] for c, v in r["recall"].items()},
            "untouched",
            r["precision"]["untouched_share"],
        )
    write_result(
        "pii_redaction",
        value=worst,
        unit="lowest recall over the documented categories (default redactor)",
        ratio=share,
        goal=(
            f">= {RECALL_GOAL:.0%} recall in every documented category of the planted corpus and "
            f">= {UNTOUCHED_GOAL:.0%} of real MultiWOZ test user turns + Topical-Chat turns left "
            "untouched (ratio = the untouched share)"
        ),
        model="none (patterns, phonenumbers, python-stdnum)",
        goal_met=goal_met,
        details={
            "per_category": args.per_category,
            "seed": args.seed,
            "documented_categories": list(DOCUMENTED),
            "real_turns": sources,
            "wall_s": round(wall, 1),
            **results,
        },
        code_paths=[
            "benchmarks/pii_redaction.py",
            "benchmarks/_pii_corpus.py",
            "src/simulacra/profiles/_pii.py",
            "src/simulacra/profiles/_pii_detect.py",
            "src/simulacra/profiles/data/given_names.yaml",
        ],
    )


if __name__ == "__main__":
    main()
