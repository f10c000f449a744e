"""Individuals without any model: the consolidation of the example history and known-answer BM25
retrieval on MultiWOZ 2.1 validation (the figures of docs/individuals.md).

- ``import_history`` of ``examples/data/sam_chats.jsonl`` + ``sam_notes.md`` (person ``sam``,
  redaction on): the consolidation operations by kind and the redactions by type;
- known-answer retrieval (as ``tests/memory/test_retrieval.py``): each validation dialogue's
  user turns are a passage, the natural-language goal that user was given the query, the
  dialogue itself the answer; recall@1/5/10 of ``BM25Retriever`` over the first 100 and all 999
  dialogues, with the time to index and the median time per query.

Report only (``goal_met`` None). Run: python benchmarks/individual_memory.py
"""

from __future__ import annotations

import json
import re
import statistics
import time
import zipfile
from collections import Counter
from typing import Any

from _common import ROOT, write_result

from simulacra.memory import BM25Retriever, Passage
from simulacra.profiles import import_history

VAL = ROOT.parent / "shared/data/multiwoz21/val.json.zip"
HISTORY = [ROOT / "examples/data/sam_chats.jsonl", ROOT / "examples/data/sam_notes.md"]

CODE_PATHS = [
    "benchmarks/individual_memory.py",
    "src/simulacra/memory",
    "src/simulacra/profiles/_import.py",
    "src/simulacra/profiles/_consolidate.py",
    "src/simulacra/profiles/_extract.py",
    "src/simulacra/profiles/_history.py",
    "src/simulacra/profiles/_pii.py",
    "examples/data/sam_chats.jsonl",
    "examples/data/sam_notes.md",
]


def _consolidation() -> dict[str, Any]:
    result = import_history(HISTORY, person="sam")
    ops = Counter(op.op for op in result.consolidation)
    updates = [
        {"key": op.key, "reason": op.reason} for op in result.consolidation if op.op == "UPDATE"
    ]
    return {
        "files": [p.relative_to(ROOT).as_posix() for p in HISTORY],
        "messages": result.messages,
        "notes": result.notes,
        "operations": dict(sorted(ops.items())),
        "updates": updates,
        "memories": len(result.individual.memories),
        "facts": len(result.individual.facts),
        "redactions": result.redactions.model_dump(mode="json").get("counts"),
    }


def _multiwoz(n: int) -> tuple[list[Passage], list[tuple[str, str]]]:
    with zipfile.ZipFile(VAL) as z:
        data = json.loads(z.read("val.json"))
    passages, queries = [], []
    for dialogue_id, dialogue in sorted(data.items())[:n]:
        goal = " ".join(re.sub(r"<[^>]+>", "", m) for m in dialogue["goal"]["message"])
        user = " ".join(t["text"] for i, t in enumerate(dialogue["log"]) if i % 2 == 0)
        passages.append(Passage(id=dialogue_id, text=user))
        queries.append((dialogue_id, goal))
    return passages, queries


def _retrieval(n: int) -> dict[str, Any]:
    passages, queries = _multiwoz(n)
    t0 = time.perf_counter()
    retriever = BM25Retriever(passages)
    index_s = time.perf_counter() - t0
    found = {1: 0, 5: 0, 10: 0}
    times = []
    for answer, query in queries:
        t = time.perf_counter()
        hits = [h.id for h in retriever.search(query, 10)]
        times.append(time.perf_counter() - t)
        for k in found:
            found[k] += answer in hits[:k]
    return {
        "dialogues": len(passages),
        **{f"recall_at_{k}": round(v / len(queries), 4) for k, v in found.items()},
        "index_s": round(index_s, 3),
        "query_ms_median": round(statistics.median(times) * 1000, 3),
    }


def main() -> None:
    t0 = time.perf_counter()
    consolidation = _consolidation()
    small, full = _retrieval(100), _retrieval(999)
    write_result(
        "individual_memory",
        value=full["recall_at_5"],
        unit="BM25 recall@5, known-answer retrieval over 999 MultiWOZ 2.1 val dialogues",
        ratio=None,
        goal="report: consolidation of the example history and BM25 known-answer recall (no model)",
        model="none",
        details={
            "consolidation": consolidation,
            "bm25_100": small,
            "bm25_999": full,
            "seconds": round(time.perf_counter() - t0, 1),
        },
        goal_met=None,
        code_paths=CODE_PATHS,
    )


if __name__ == "__main__":
    main()
