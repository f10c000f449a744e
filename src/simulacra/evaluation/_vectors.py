"""Text vectors for the diversity and drift measures: the offline MiniLM sentence encoder that
:mod:`simulacra.memory` loads (extra ``embeddings``), or TF-IDF when it is not installed.

Every report says which encoder produced its numbers: cosine values of MiniLM and of TF-IDF are
on different scales and must never be compared with each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from simulacra.errors import ConfigError, MissingExtraError
from simulacra.memory import load_embedding_model
from simulacra.memory._dense import _LOCK

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["ENCODERS", "Encoder", "embed"]

Encoder = Literal["auto", "minilm", "tfidf"]
ENCODERS: tuple[str, ...] = ("auto", "minilm", "tfidf")
MINILM = "minilm:all-MiniLM-L6-v2"
TFIDF = "tfidf:word-1-2gram"


def _minilm(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    import numpy as np

    model = load_embedding_model()
    with _LOCK:  # torch modules are not safe to call from several threads at once
        out = model.encode(
            list(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
            batch_size=64,
        )
    return np.asarray(out, dtype=np.float32)


def _tfidf(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    import numpy as np

    try:
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped,unused-ignore]
            TfidfVectorizer,
        )
    except ImportError:
        raise MissingExtraError("eval", "TF-IDF vectors (without sentence embeddings)") from None
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, max_features=4096, dtype=np.float32
    )
    try:
        matrix = vectorizer.fit_transform(list(texts))
    except ValueError:  # only stop words / empty texts: no vocabulary
        return np.zeros((len(texts), 1), dtype=np.float32)
    return np.asarray(matrix.toarray(), dtype=np.float32)  # rows are L2-normalised


def embed(texts: Sequence[str], *, encoder: str = "auto") -> tuple[npt.NDArray[np.float32], str]:
    """Unit-length vectors of texts, and the name of the encoder that made them.

    Args:
        texts: The texts; TF-IDF is fitted on exactly these, so embed every text of one
            comparison in one call.
        encoder: ``minilm`` (the packaged all-MiniLM-L6-v2), ``tfidf`` (word 1-2 grams), or
            ``auto``: MiniLM when the ``embeddings`` extra is installed, else TF-IDF.

    Raises:
        ConfigError: For an unknown encoder name.
        MissingExtraError: When the chosen encoder is not installed.
    """
    if encoder not in ENCODERS:
        raise ConfigError(f"unknown encoder {encoder!r} (known: {', '.join(ENCODERS)})")
    if not texts:
        import numpy as np

        return np.zeros((0, 1), dtype=np.float32), MINILM if encoder == "minilm" else TFIDF
    if encoder in ("auto", "minilm"):
        try:
            return _minilm(texts), MINILM
        except ImportError:
            if encoder == "minilm":
                raise MissingExtraError("embeddings", "MiniLM sentence vectors") from None
        except (MissingExtraError, ConfigError):
            if encoder == "minilm":
                raise
    return _tfidf(texts), TFIDF
