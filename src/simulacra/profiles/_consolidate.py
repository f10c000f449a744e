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

import heapq
import itertools
import math
import re
from collections import Counter
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


class _Live:
    """The live memories in order (added or last updated last), with the indexes that keep
    consolidation linear: by key, and (for Jaccard) an inverted index of each memory's rarest
    tokens, so a near-duplicate search reads only the memories that can reach the threshold
    (prefix filtering: two token sets with Jaccard >= t share a token among the first
    ``|x| - ceil(t |x|) + 1`` of each, in any fixed token order; the order used is rarest first,
    counted over every text of the consolidation)."""

    def __init__(self, threshold: float, rank: dict[str, int] | None) -> None:
        self.memories: dict[str, Memory] = {}  # in live order
        self.by_key: dict[str, list[str]] = {}
        self.threshold = threshold
        self.rank = rank
        self.tokens: dict[str, frozenset[str]] = {}
        self.index: dict[str, set[str]] = {}
        self.prefixes: dict[str, list[str]] = {}

    def _prefix(self, tokens: frozenset[str]) -> list[str]:
        assert self.rank is not None
        ordered = sorted(tokens, key=lambda t: (self.rank.get(t, 0), t))  # type: ignore[union-attr]
        # a hair below t * |x| before rounding up: float error may only lengthen the prefix
        return ordered[: len(ordered) - math.ceil(self.threshold * len(ordered) - 1e-9) + 1]

    def add(self, memory: Memory) -> None:
        self.memories[memory.id] = memory
        if memory.key is not None:
            self.by_key.setdefault(memory.key, []).append(memory.id)
        if self.rank is not None:
            tokens = _tokens(memory.text)
            self.tokens[memory.id] = tokens
            self.prefixes[memory.id] = self._prefix(tokens)
            for token in self.prefixes[memory.id]:
                self.index.setdefault(token, set()).add(memory.id)

    def remove(self, memory: Memory) -> None:
        del self.memories[memory.id]
        if memory.key is not None:
            self.by_key[memory.key].remove(memory.id)
        if self.rank is not None:
            for token in self.prefixes.pop(memory.id):
                self.index[token].discard(memory.id)
            del self.tokens[memory.id]

    def with_key(self, key: str | None) -> list[Memory]:
        if key is None:
            return []
        return [self.memories[i] for i in self.by_key.get(key, [])]

    def near(self, text: str) -> list[tuple[Memory, frozenset[str]]]:
        """The live memories that may reach the threshold against ``text`` (Jaccard only)."""
        tokens = _tokens(text)
        ids: set[str] = set()
        for token in self._prefix(tokens) if tokens else ():
            ids |= self.index.get(token, set())
        return [(self.memories[i], self.tokens[i]) for i in ids]


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
    cands = list(candidates)
    rank: dict[str, int] | None = None
    if similarity is jaccard:
        counts: Counter[str] = Counter()
        for text in itertools.chain((m.text for m in existing), (c.text for c in cands)):
            counts.update(_tokens(text))
        rank = dict(counts)
    live = _Live(threshold, rank)
    for m in existing:
        live.add(m.model_copy(deep=True))
    counter = 1 + max(
        (int(m.id[1:]) for m in live.memories.values() if re.fullmatch(r"m\d+", m.id)),
        default=0,
    )
    log: list[ConsolidationOp] = []
    tick = itertools.count()
    order = {m_id: next(tick) for m_id in live.memories}  # when each was last added or updated
    # least important, oldest first: (importance, order, id); stale entries are skipped
    heap: list[tuple[float, int, str]] = [
        (m.importance, order[m.id], m.id) for m in live.memories.values()
    ]
    heapq.heapify(heap)

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

    for c in cands:
        if c.op == "forget":
            doomed = [
                m
                for m in live.with_key(c.key)
                if c.value is None or m.value is None or _same(m.value, c.value)
            ]
            for m in sorted(doomed, key=lambda m: order[m.id]):
                live.remove(m)
                record("DELETE", m.id, c, f"negation forgets {c.key}")
            if not doomed:
                record("NOOP", None, c, f"nothing to forget for {c.key}")
            continue
        same_key = live.with_key(c.key)
        keyed = min(same_key, key=lambda m: order[m.id]) if same_key else None
        if keyed is not None:
            if _same(keyed.value, c.value):
                record("NOOP", keyed.id, c, f"same {c.key}")
                continue
            keyed.superseded.append(keyed.value or keyed.text)
            live.remove(keyed)
            keyed.text, keyed.value, keyed.kind = c.text, c.value, c.kind
            keyed.session, keyed.timestamp, keyed.source = c.session, c.timestamp, c.source
            keyed.importance = max(keyed.importance, c.importance)
            live.add(keyed)  # most recently confirmed last
            order[keyed.id] = next(tick)
            heapq.heappush(heap, (keyed.importance, order[keyed.id], keyed.id))
            record("UPDATE", keyed.id, c, f"new value of {c.key} supersedes the old one")
            continue
        best, score = None, 0.0
        if c.key is None:  # a new key is new, however it is worded
            if rank is not None:
                mine = _tokens(c.text)
                for m, theirs in sorted(live.near(c.text), key=lambda mt: order[mt[0].id]):
                    union = len(mine | theirs)
                    s = len(mine & theirs) / union if union else 0.0
                    if s > score:
                        best, score = m, s
            else:
                for m in list(live.memories.values()):  # in live order
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
        live.add(memory)
        heapq.heappush(heap, (memory.importance, order[memory.id], memory.id))
        record("ADD", memory.id, c, "new")
        if capacity is not None and len(live.memories) > capacity:
            while True:
                _, when, victim_id = heapq.heappop(heap)
                victim = live.memories.get(victim_id)
                if victim is not None and order[victim_id] == when:
                    break  # (an entry left by an update or a removal is stale)
            live.remove(victim)
            record("DELETE", victim.id, c, f"over capacity {capacity}: least important, oldest")
    return list(live.memories.values()), log
