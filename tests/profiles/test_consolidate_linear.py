"""Consolidation is linear (indexes by key and by rarest tokens) and decides exactly as the plain
quadratic scan does: a reference implementation of the documented rules, compared on seeded
random streams with forgets, updates, near-duplicates and a capacity (issue #21 item 8)."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterable, Sequence

import pytest

from simulacra.profiles._consolidate import ConsolidationOp, consolidate, jaccard
from simulacra.profiles._extract import MemoryCandidate
from simulacra.profiles._individual import Memory


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").casefold().strip() == (b or "").casefold().strip()


def reference(
    candidates: Iterable[MemoryCandidate],
    *,
    existing: Sequence[Memory] = (),
    threshold: float = 0.8,
    capacity: int | None = None,
    similarity: Callable[[str, str], float] = jaccard,
) -> tuple[list[Memory], list[ConsolidationOp]]:
    """The plain scan consolidation used to be (the reference the indexed one must match).

    Args:
        candidates: In time order.
        existing: Memories from an earlier consolidation (not modified).
        threshold: Similarity at or above which a keyless candidate is a duplicate.
        capacity: Keep at most this many memories.
        similarity: Text similarity in [0, 1] (default: :func:`jaccard`; an embedding cosine
            works too).

    Returns:
        The memories that remain, and the log of operations.
    """
    if capacity is not None and capacity < 1:
        raise ValueError("capacity must be at least 1")
    live: list[Memory] = [m.model_copy(deep=True) for m in existing]
    counter = 1 + max((int(m.id[1:]) for m in live if re.fullmatch(r"m\d+", m.id)), default=0)
    log: list[ConsolidationOp] = []
    tick = itertools.count()
    order = {m.id: next(tick) for m in live}  # when each memory was last added or updated

    def record(op: str, memory_id: str | None, c: MemoryCandidate, reason: str) -> None:
        log.append(
            ConsolidationOp.model_validate(
                {
                    "op": op,
                    "memory_id": memory_id,
                    "key": c.key,
                    "session": c.session,
                    "source": c.source,
                    "reason": reason,
                }
            )
        )

    for c in candidates:
        if c.op == "forget":
            doomed = [
                m
                for m in live
                if c.key is not None
                and m.key == c.key
                and (c.value is None or m.value is None or _same(m.value, c.value))
            ]
            for m in doomed:
                live.remove(m)
                record("DELETE", m.id, c, f"negation forgets {c.key}")
            if not doomed:
                record("NOOP", None, c, f"nothing to forget for {c.key}")
            continue
        keyed = next((m for m in live if c.key is not None and m.key == c.key), None)
        if keyed is not None:
            if _same(keyed.value, c.value):
                record("NOOP", keyed.id, c, f"same {c.key}")
                continue
            keyed.superseded.append(keyed.value or keyed.text)
            keyed.text, keyed.value, keyed.kind = c.text, c.value, c.kind
            keyed.session, keyed.timestamp, keyed.source = c.session, c.timestamp, c.source
            keyed.importance = max(keyed.importance, c.importance)
            live.remove(keyed)
            live.append(keyed)  # most recently confirmed last
            order[keyed.id] = next(tick)
            record("UPDATE", keyed.id, c, f"new value of {c.key} supersedes the old one")
            continue
        best, score = None, 0.0
        for m in live if c.key is None else ():  # a new key is new, however it is worded
            s = similarity(m.text, c.text)
            if s > score:
                best, score = m, s
        if best is not None and score >= threshold:
            record("NOOP", best.id, c, f"near-duplicate (similarity {score:.2f})")
            continue
        memory = Memory(
            id=f"m{counter}",
            text=c.text,
            kind=c.kind,
            key=c.key,
            value=c.value,
            session=c.session,
            timestamp=c.timestamp,
            importance=c.importance,
            source=c.source,
        )
        counter += 1
        order[memory.id] = next(tick)
        live.append(memory)
        record("ADD", memory.id, c, "new")
        if capacity is not None and len(live) > capacity:
            victim = min(live, key=lambda m: (m.importance, order[m.id]))
            live.remove(victim)
            record("DELETE", victim.id, c, f"over capacity {capacity}: least important, oldest")
    return live, log


WORDS = [
    "red",
    "blue",
    "green",
    "cat",
    "dog",
    "sun",
    "moon",
    "tea",
    "jazz",
    "chess",
    "porto",
    "leeds",
    "the",
    "a",
    "i",
    "went",
    "saw",
    "big",
    "old",
]


def _stream(rng: random.Random) -> list[MemoryCandidate]:
    out = []
    for i in range(rng.randint(1, 80)):
        key = rng.choice([None, None, None, "lives_in", "likes:tea", "occupation"])
        forget = key is not None and rng.random() < 0.15
        out.append(
            MemoryCandidate(
                text=" ".join(rng.choices(WORDS, k=rng.randint(0, 6))) or "x",
                kind=rng.choice(["fact", "event", "note", "preference"]),
                importance=rng.choice([0.1, 0.3, 0.5, 0.9]),
                key=key,
                value=rng.choice([None, "a", "b"]) if key else None,
                session=str(i // 5),
                source=f"f:{i}",
                **({"op": "forget"} if forget else {}),
            )
        )
    return out


@pytest.mark.parametrize("seed", range(300))
def test_consolidation_matches_the_reference_scan(seed: int) -> None:
    rng = random.Random(seed)
    candidates = _stream(rng)
    existing = [
        Memory(
            id=f"m{j + 1}",
            text=" ".join(rng.choices(WORDS, k=3)),
            kind="fact",
            key=rng.choice([None, "lives_in"]),
            value="z",
            importance=0.5,
        )
        for j in range(rng.randint(0, 3))
    ]
    options = {
        "capacity": rng.choice([None, None, 3, 5]),
        "threshold": rng.choice([0.8, 0.5, 0.34]),
    }
    got = consolidate(candidates, existing=existing, **options)
    want = reference(candidates, existing=existing, **options)
    assert [m.model_dump() for m in got[0]] == [m.model_dump() for m in want[0]]
    assert [o.model_dump() for o in got[1]] == [o.model_dump() for o in want[1]]
