"""Retrieval gates (RAGate-style, survey §5.2): decide per turn whether the user retrieves.

- :class:`TrainedGate` — logistic regression (scikit-learn) over TF-IDF or MiniLM features of the
  other side's last message; trained with :func:`train_gate` from labelled messages, saved as a
  small JSON file (no pickle) and read back with :func:`load_gate`;
- :func:`multiwoz_gate_examples` — labelled messages from real MultiWOZ system turns (a turn
  that requests something from the user needs the user's own details: retrieve).

The LLM-judged gate lives with the users (:class:`~simulacra.participants.LLMGate`), since it
calls a model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from simulacra.errors import ConfigError, MissingExtraError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "GATE_FILE_KIND",
    "GateExample",
    "TrainedGate",
    "load_gate",
    "multiwoz_gate_examples",
    "train_gate",
]

GATE_FILE_KIND = "simulacra.retrieval_gate"
GateFeatures = Literal["tfidf", "embedding"]


@dataclass(frozen=True, slots=True)
class GateExample:
    """One labelled message: ``retrieve`` is whether the user should look something up."""

    text: str
    retrieve: bool


class TrainedGate:
    """A logistic-regression gate: ``P(retrieve | message) >= threshold``.

    Args:
        features: ``"tfidf"`` (word uni/bigrams) or ``"embedding"`` (packaged MiniLM).
        coef: One weight per feature.
        intercept: The bias.
        vocabulary: For ``tfidf``: term → column.
        idf: For ``tfidf``: inverse document frequency per column.
        threshold: Retrieve when the probability reaches this.
    """

    def __init__(
        self,
        *,
        features: GateFeatures,
        coef: Sequence[float],
        intercept: float,
        vocabulary: dict[str, int] | None = None,
        idf: Sequence[float] | None = None,
        threshold: float = 0.5,
    ) -> None:
        import numpy as np

        self.features = features
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.vocabulary = vocabulary or {}
        self.idf = list(idf or [])
        self.threshold = threshold
        self._vectorizer: object | None = None

    def _matrix(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        import numpy as np

        if self.features == "embedding":
            from simulacra.memory._dense import load_embedding_model

            out = load_embedding_model().encode(
                list(texts), normalize_embeddings=True, convert_to_numpy=True
            )
            return np.asarray(out, dtype=np.float64)
        if self._vectorizer is None:
            vectorizer = _tfidf(vocabulary=self.vocabulary)
            vectorizer.idf_ = np.asarray(self.idf, dtype=np.float64)  # type: ignore[attr-defined]
            self._vectorizer = vectorizer
        return np.asarray(self._vectorizer.transform(list(texts)).toarray(), dtype=np.float64)  # type: ignore[attr-defined]

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """``P(retrieve)`` for each message."""
        import numpy as np

        if not texts:
            return []
        z = self._matrix(texts) @ self.coef + self.intercept
        return [float(p) for p in 1.0 / (1.0 + np.exp(-z))]

    def probability(self, text: str) -> float:
        """``P(retrieve)`` for one message."""
        return self.probabilities([text])[0]

    def decide(self, text: str) -> bool:
        """Whether to retrieve for this message."""
        return self.probability(text) >= self.threshold

    def save(self, path: str | Path) -> Path:
        """Write the gate as JSON (kind, features, weights, vocabulary)."""
        path = Path(path)
        data = {
            "kind": GATE_FILE_KIND,
            "version": 1,
            "features": self.features,
            "threshold": self.threshold,
            "intercept": self.intercept,
            "coef": [float(c) for c in self.coef],
            "vocabulary": self.vocabulary,
            "idf": self.idf,
        }
        path.write_text(json.dumps(data), encoding="utf-8")
        return path


def _tfidf(vocabulary: dict[str, int] | None = None) -> object:
    try:
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped,unused-ignore]
            TfidfVectorizer,
        )
    except ImportError:
        raise MissingExtraError("eval", "trained retrieval gates") from None
    # Keep "?" and question words: they are what a request looks like.
    return TfidfVectorizer(
        ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b|\?", vocabulary=vocabulary, min_df=2
    )


def train_gate(
    examples: Iterable[GateExample],
    *,
    features: GateFeatures = "tfidf",
    threshold: float = 0.5,
    c: float = 1.0,
) -> TrainedGate:
    """Fit a logistic-regression gate on labelled messages.

    Raises:
        ConfigError: With no examples, or only one label.
        MissingExtraError: Without scikit-learn.
    """
    items = list(examples)
    labels = {e.retrieve for e in items}
    if len(labels) < 2:
        raise ConfigError(
            f"gate training needs examples of both labels (got {len(items)} example(s), "
            f"labels {sorted(labels)})"
        )
    try:
        from sklearn.linear_model import (  # type: ignore[import-untyped,unused-ignore]
            LogisticRegression,
        )
    except ImportError:
        raise MissingExtraError("eval", "trained retrieval gates") from None
    import numpy as np

    texts = [e.text for e in items]
    y = np.asarray([int(e.retrieve) for e in items])
    vocabulary: dict[str, int] | None = None
    idf: list[float] | None = None
    if features == "tfidf":
        vectorizer = _tfidf()
        x = vectorizer.fit_transform(texts)  # type: ignore[attr-defined]
        vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}  # type: ignore[attr-defined]
        idf = [float(v) for v in vectorizer.idf_]  # type: ignore[attr-defined]
    elif features == "embedding":
        x = TrainedGate(features="embedding", coef=[], intercept=0.0)._matrix(texts)
    else:
        raise ConfigError(f"gate features must be 'tfidf' or 'embedding', got {features!r}")
    model = LogisticRegression(C=c, max_iter=1000, class_weight="balanced").fit(x, y)
    return TrainedGate(
        features=features,
        coef=[float(v) for v in model.coef_[0]],
        intercept=float(model.intercept_[0]),
        vocabulary=vocabulary,
        idf=idf,
        threshold=threshold,
    )


def load_gate(path: str | Path) -> TrainedGate:
    """Read a gate written by :meth:`TrainedGate.save`.

    Raises:
        ConfigError: One line when the file is missing, not JSON, or not a gate file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: gate model file not found") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise ConfigError(
            f"{path}: not a retrieval gate file (expected JSON written by 'simulacra gate train')"
        ) from None
    if not isinstance(data, dict) or data.get("kind") != GATE_FILE_KIND:
        kind = data.get("kind") if isinstance(data, dict) else type(data).__name__
        raise ConfigError(
            f"{path}: not a retrieval gate file (kind {kind!r}, expected {GATE_FILE_KIND!r})"
        )
    try:
        return TrainedGate(
            features=data["features"],
            coef=data["coef"],
            intercept=data["intercept"],
            vocabulary=data.get("vocabulary") or None,
            idf=data.get("idf") or None,
            threshold=float(data.get("threshold", 0.5)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: corrupt retrieval gate file ({exc})") from None


def multiwoz_gate_examples(path: str | Path, *, limit: int | None = None) -> list[GateExample]:
    """Labelled system messages from a MultiWOZ file: ``retrieve`` when the system turn's
    annotated acts include a ``request`` (the user must supply their own details).

    Raises:
        ConfigError: If the file cannot be read (see
            :func:`~simulacra.datasets.multiwoz_dialogues`).
    """
    from simulacra.datasets import multiwoz_dialogues

    out: list[GateExample] = []
    for dialogue in multiwoz_dialogues(path, with_turns=True, limit=limit):
        for turn in dialogue.turns:
            if turn.speaker != "system" or not turn.text:
                continue
            asks = any(a.intent == "request" for a in turn.acts)
            out.append(GateExample(text=turn.text, retrieve=asks))
    return out
