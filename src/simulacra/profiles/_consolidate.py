"""Consolidation of memory candidates across sessions (in the spirit of Mem0, survey B.4).

Candidates are processed in the order given (sessions in time order). Each one becomes one
operation, recorded in the log:

- **ADD** — nothing like it is remembered: a new memory;
- **UPDATE** — a memory with the same ``key`` holds a different value: the new value supersedes
  it (same id; the old value is kept in ``superseded``);
- **NOOP** — the same key with the same value, or (for a candidate without a key) a
  near-duplicate text (token Jaccard, or the given similarity, at or above ``threshold``), or a
  forget with nothing to forget;
- **DELETE** — an explicit negation ("I don't live in X anymore") forgets the memories with its
  key; and, with ``capacity``, the least important memory (oldest first among equals) is forgotten
  whenever there are more than ``capacity``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from simulacra.profiles._extract import MemoryCandidate
from simulacra.profiles._individual import Memory

__all__ = ["ConsolidationOp", "consolidate", "jaccard"]

_WORD = re.compile(r"\w+")
_STOP = frozenset("a an the i my me to of and or is am are was in on at it this that".split())  # noqa: SIM905


def _tokens(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.casefold()) if w not in _STOP)


def jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the content-word sets of two texts (0 when both are empty)."""
    ta, tb = _tokens(a), _tokens(b)
    if not ta and not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


class ConsolidationOp(BaseModel):
    """One consolidation decision.

    Attributes:
        op: ``ADD``, ``UPDATE``, ``NOOP`` or ``DELETE``.
        memory_id: The memory added, updated, matched or forgotten (``None`` for a forget with
            nothing to forget).
        key: The candidate's key.
        session: The candidate's session.
        source: The candidate's ``file:line``.
        reason: Why, in a few words.
    """

    model_config = ConfigDict(extra="forbid")

    op: Literal["ADD", "UPDATE", "NOOP", "DELETE"]
    memory_id: str | None = None
    key: str | None = None
    session: str | None = None
    source: str | None = None
    reason: str = ""


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").casefold().strip() == (b or "").casefold().strip()


def consolidate(
    candidates: Iterable[MemoryCandidate],
    *,
    existing: Sequence[Memory] = (),
    threshold: float = 0.8,
    capacity: int | None = None,
    similarity: Callable[[str, str], float] = jaccard,
) -> tuple[list[Memory], list[ConsolidationOp]]:
    """Fold candidates into memories, one operation each (see the module docstring).

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
