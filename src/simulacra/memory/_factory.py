"""Choose a retriever by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from simulacra.memory._base import Passage, Retriever
from simulacra.memory._bm25 import BM25Retriever
from simulacra.memory._dense import DenseRetriever

__all__ = ["make_retriever"]


def make_retriever(method: Literal["bm25", "embedding"], passages: Sequence[Passage]) -> Retriever:
    """A :class:`BM25Retriever` (``"bm25"``) or :class:`DenseRetriever` (``"embedding"``).

    Raises:
        MissingExtraError: If the library for ``method`` is not installed.
        ValueError: On an unknown method.
    """
    if method == "bm25":
        return BM25Retriever(passages)
    if method == "embedding":
        return DenseRetriever(passages)
    raise ValueError(f"unknown retrieval method {method!r}: expected 'bm25' or 'embedding'")
