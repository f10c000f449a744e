"""Passages, hits and the retriever protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

__all__ = ["Hit", "Passage", "Retriever", "check_passages"]


class Passage(BaseModel):
    """A unit of text that can be retrieved.

    Attributes:
        id: Unique id within the collection (returned on hits).
        text: The text that is indexed and returned.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    text: str


class Hit(BaseModel):
    """One retrieved passage.

    Attributes:
        id: The passage id.
        text: The passage text.
        score: The retriever's score (higher is better; scales differ between retrievers).
        rank: 0 for the best hit.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    text: str
    score: float
    rank: int


@runtime_checkable
class Retriever(Protocol):
    """Anything that returns the passages most relevant to a query."""

    def search(self, query: str, k: int) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first (fewer if the collection is
        smaller; none for an empty query)."""
        ...


def check_passages(passages: Sequence[Passage]) -> list[Passage]:
    """The passages as a list; raises ``ValueError`` on duplicate ids."""
    items = list(passages)
    seen: set[str] = set()
    for p in items:
        if p.id in seen:
            raise ValueError(f"duplicate passage id {p.id!r}")
        seen.add(p.id)
    return items
