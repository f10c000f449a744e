"""The memory stream of a sandbox agent (Generative Agents, Park et al. 2023; survey §4.5, C.3).

Every memory has its text, the step it was made in, the step it was last retrieved in, an
importance from 1 (mundane) to 10 (poignant), and a representation for relevance (the text for
BM25, an embedding for cosine similarity). Retrieval ranks memories by

    score = alpha * recency + beta * importance + gamma * relevance

with ``recency = decay ** (step - last_access)``, ``importance / 10`` and relevance normalised to
[0, 1] (BM25 divided by the best BM25 score of the stream, or cosine similarity clipped at 0).
The retrieved memories count as accessed now, so what an agent keeps recalling stays fresh.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from simulacra.memory import BM25Retriever, Passage, load_embedding_model

__all__ = [
    "BM25Relevance",
    "EmbeddingRelevance",
    "MemoryKind",
    "MemoryRecord",
    "MemoryStream",
    "Relevance",
    "RetrievalWeights",
    "heuristic_importance",
    "make_relevance",
]

MemoryKind = Literal["seed", "observation", "dialogue", "reflection"]


class MemoryRecord(BaseModel):
    """One memory of an agent.

    Attributes:
        id: Unique within the agent's stream (``<agent>-m<n>``).
        text: What is remembered, in natural language.
        kind: ``seed`` (initial), ``observation``, ``dialogue`` or ``reflection``.
        created: The step it was made in.
        last_access: The step it was last retrieved in (``created`` until then).
        importance: 1 (mundane) to 10 (poignant).
        evidence: For a reflection, the ids of the memories it was drawn from.
        embedding: Its sentence embedding, once relevance by embedding has computed it.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    kind: MemoryKind
    created: int
    last_access: int
    importance: int = Field(ge=1, le=10)
    evidence: list[str] = Field(default_factory=list)
    embedding: list[float] | None = None


class Relevance(Protocol):
    """How relevant each memory is to a query, each score in [0, 1]."""

    def scores(self, query: str, memories: Sequence[MemoryRecord]) -> list[float]:
        """One score per memory, in order."""
        ...


class BM25Relevance:
    """BM25 (``bm25s``, via :class:`~simulacra.memory.BM25Retriever`) divided by the best score
    of the stream for this query; 0 for memories that share no word with the query."""

    def scores(self, query: str, memories: Sequence[MemoryRecord]) -> list[float]:
        """One score per memory, in order."""
        if not memories or not query.strip():
            return [0.0] * len(memories)
        retriever = BM25Retriever([Passage(id=m.id, text=m.text) for m in memories])
        hits = {h.id: h.score for h in retriever.search(query, len(memories))}
        best = max(hits.values(), default=0.0)
        if best <= 0:
            return [0.0] * len(memories)
        return [hits.get(m.id, 0.0) / best for m in memories]


class EmbeddingRelevance:
    """Cosine similarity of sentence embeddings (the packaged all-MiniLM-L6-v2, offline),
    clipped at 0. Each memory is embedded once and keeps its embedding."""

    def __init__(self) -> None:
        self.model = load_embedding_model()

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self.model.encode(
            texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return [[float(x) for x in v] for v in vectors]

    def scores(self, query: str, memories: Sequence[MemoryRecord]) -> list[float]:
        """One score per memory, in order."""
        if not memories or not query.strip():
            return [0.0] * len(memories)
        missing = [m for m in memories if m.embedding is None]
        if missing:
            for m, vector in zip(missing, self._encode([m.text for m in missing]), strict=True):
                m.embedding = vector
        q = self._encode([query])[0]
        return [
            max(0.0, sum(a * b for a, b in zip(q, m.embedding or [], strict=False)))
            for m in memories
        ]


def make_relevance(method: Literal["bm25", "embedding"]) -> Relevance:
    """The relevance scorer for ``method``.

    Raises:
        MissingExtraError: If its library is not installed.
    """
    if method == "embedding":
        return EmbeddingRelevance()
    BM25Retriever([])  # fails early, with the install command, if bm25s is missing
    return BM25Relevance()


@dataclass(frozen=True)
class RetrievalWeights:
    """Weights of the retrieval score and the recency decay per step."""

    alpha: float = 1.0
    beta: float = 1.0
    gamma: float = 1.0
    decay: float = 0.9


_POIGNANT = re.compile(
    r"\b(love[sd]?|hate[sd]?|die[sd]?|death|dead|married|marry|wedding|divorce|break[- ]?up|"
    r"fired|hired|job|promot\w*|birth|baby|pregnan\w*|sick|ill|hospital|accident|fight|argue\w*|"
    r"angry|afraid|scared|secret|party|celebrat\w*|surprise\w*|moving|elect\w*|won|lost|lose|"
    r"money|debt|plan\w*|invite[sd]?|decid\w*|promise[sd]?|worr\w*|excit\w*|sad|happy|upset)\b",
    re.IGNORECASE,
)


def heuristic_importance(text: str, *, kind: MemoryKind = "observation") -> int:
    """A cheap importance score (no model call), 1 to 10.

    Routine observations score low; each emotionally or socially loaded word (love, party,
    fired, secret, invite...) adds 2; a dialogue adds 2 and a reflection 3; long memories add 1.
    """
    score = {"seed": 3, "observation": 1, "dialogue": 3, "reflection": 4}[kind]
    score += 2 * len(_POIGNANT.findall(text))
    if len(text.split()) > 30:
        score += 1
    return max(1, min(10, score))


@dataclass
class MemoryStream:
    """An agent's memories, in the order they were made, and its reflection counter.

    Args:
        owner: The agent id (memory ids are ``<owner>-m<n>``).
        relevance: The relevance scorer.
        weights: The retrieval weights and recency decay.
    """

    owner: str
    relevance: Relevance
    weights: RetrievalWeights = field(default_factory=RetrievalWeights)
    memories: list[MemoryRecord] = field(default_factory=list)
    importance_since_reflection: int = 0

    def add(
        self,
        text: str,
        *,
        step: int,
        importance: int,
        kind: MemoryKind = "observation",
        evidence: Sequence[str] = (),
    ) -> MemoryRecord:
        """Append a memory (importance clamped to 1..10) and count it towards reflection."""
        record = MemoryRecord(
            id=f"{self.owner}-m{len(self.memories)}",
            text=text,
            kind=kind,
            created=step,
            last_access=step,
            importance=max(1, min(10, importance)),
            evidence=list(evidence),
        )
        self.memories.append(record)
        if kind != "seed":
            self.importance_since_reflection += record.importance
        return record

    def scored(self, query: str, *, step: int) -> list[tuple[float, MemoryRecord]]:
        """Every memory with its retrieval score for ``query`` at ``step``, best first (ties:
        newer first). Does not touch ``last_access``."""
        w = self.weights
        relevance = self.relevance.scores(query, self.memories)
        scored = [
            (
                w.alpha * math.pow(w.decay, max(0, step - m.last_access))
                + w.beta * m.importance / 10
                + w.gamma * rel,
                m,
            )
            for m, rel in zip(self.memories, relevance, strict=True)
        ]
        order = sorted(range(len(scored)), key=lambda i: (-scored[i][0], -i))
        return [scored[i] for i in order]

    def retrieve(self, query: str, *, step: int, k: int) -> list[MemoryRecord]:
        """The ``k`` best memories for ``query``; they count as accessed at ``step``."""
        top = [m for _, m in self.scored(query, step=step)[: max(0, k)]]
        for m in top:
            m.last_access = step
        return top

    def recent(self, n: int) -> list[MemoryRecord]:
        """The ``n`` most recent memories, oldest first."""
        return self.memories[-n:] if n > 0 else []

    def needs_reflection(self, threshold: int | None) -> bool:
        """Whether the importance of the memories made since the last reflection reached
        ``threshold`` (never when it is ``None``)."""
        return threshold is not None and self.importance_since_reflection >= threshold

    def reflected(self) -> None:
        """Reset the reflection counter (after the agent reflected)."""
        self.importance_since_reflection = 0
