"""Lexical retrieval with BM25 (the ``bm25s`` library)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from simulacra.errors import MissingExtraError
from simulacra.memory._base import Hit, Passage, check_passages

if TYPE_CHECKING:
    import bm25s  # type: ignore[import-untyped,import-not-found,unused-ignore]

__all__ = ["BM25Retriever"]


def _bm25s() -> object:
    try:
        import bm25s  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise MissingExtraError("memory", "BM25 retrieval") from None
    return bm25s


class BM25Retriever:
    """BM25 (Lucene variant) over a fixed collection of passages, built with ``bm25s``.

    Text is lower-cased, split into word tokens of two or more characters, and English stop
    words are dropped; passages with a score of 0 (no query term in common) are never returned.

    Args:
        passages: The collection (ids must be unique).
        k1: Term-frequency saturation.
        b: Length normalisation.
        stopwords: ``"en"`` for bm25s's English list, or ``None`` to keep every word.
        stemmer: Optional word stemmer (e.g. ``Stemmer.Stemmer("english").stemWord``).

    Raises:
        MissingExtraError: If ``bm25s`` is not installed (extra ``memory``).
        ValueError: On duplicate passage ids.
    """

    def __init__(
        self,
        passages: Sequence[Passage],
        *,
        k1: float = 1.5,
        b: float = 0.75,
        stopwords: str | None = "en",
        stemmer: Callable[[str], str] | None = None,
    ) -> None:
        _bm25s()
        import bm25s  # type: ignore[import-untyped,import-not-found,unused-ignore]

        self.passages = check_passages(passages)
        self._stopwords: str | list[str] = stopwords or []
        self._stemmer = stemmer
        self._index: bm25s.BM25 | None = None
        if self.passages:
            corpus = bm25s.tokenize(
                [p.text for p in self.passages],
                stopwords=self._stopwords,
                stemmer=stemmer,
                show_progress=False,
            )
            self._index = bm25s.BM25(k1=k1, b=b)
            self._index.index(corpus, show_progress=False)

    def search(self, query: str, k: int) -> list[Hit]:
        """The ``k`` best passages sharing at least one term with ``query``, best first."""
        import bm25s  # type: ignore[import-untyped,import-not-found,unused-ignore]

        if self._index is None or k < 1 or not query.strip():
            return []
        tokens = bm25s.tokenize(
            [query],
            stopwords=self._stopwords,
            stemmer=self._stemmer,
            return_ids=False,
            show_progress=False,
        )
        if not tokens or not tokens[0]:
            return []
        docs, scores = self._index.retrieve(
            tokens, k=min(k, len(self.passages)), show_progress=False, n_threads=1
        )
        hits: list[Hit] = []
        for doc, score in zip(docs[0].tolist(), scores[0].tolist(), strict=True):
            if score <= 0:
                continue
            passage = self.passages[int(doc)]
            hits.append(Hit(id=passage.id, text=passage.text, score=float(score), rank=len(hits)))
        return hits
