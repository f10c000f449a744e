"""A learned "user-voice" scorer: how much a chat turn sounds like a real human user.

Simulated users drift into the assistant's voice ("Sure! I'd be happy to help. What dates?").
:class:`UserVoiceScorer` gives ``P(user | turn)``, the probability that a turn was written by the
*user/customer* side of a real conversation rather than by the assistant/agent/system side, so a
validity gate can reject simulated-user turns that sound like the assistant and best-of-n can
rerank candidate turns.

Method (feature-based logistic regression; inference is pure Python, standard library only):

1. **Normalise**: lowercase, straight apostrophes, re-attach the clitics that MultiWOZ's
   tokenisation splits off (``do n't`` → ``don't``), so tokenised and raw corpora agree.
2. **Tokenise**: words (with inner apostrophes), ``?`` and ``!``; any token with a digit
   becomes ``<num>`` (reference numbers, times, prices).
3. **Featurise** (:func:`voice_features`, binary): word unigrams ``w:``, bigrams ``b:`` with
   start/end markers (``b:<s> sure``, ``b:? </s>``), and shape features ``s:``: word-count
   bucket, question mark, exclamation, sentence count, opens with a greeting or pleasantry,
   first person (``i``/``me``/``my``), second person (``you``/``your``), markdown or list
   markers, lowercase start, no final punctuation. The feature vector is L2-normalised: each
   present feature has value ``1/sqrt(number of distinct features of the turn)``.
4. **Score**: ``sigmoid(intercept + Σ weight[f] · norm)`` over the features present; features
   without a weight count 0.

Training (:func:`train_user_voice`, needs scikit-learn from the ``eval`` extra) fits
``LogisticRegression`` (L2, balanced classes) on exactly these feature dicts, keeps the
``max_features`` strongest weights, refits on those alone, and rounds the weights; the result is
saved as JSON (``kind: simulacra.user_voice``; no pickle) with a ``card`` of metadata. The shipped
weights (:meth:`UserVoiceScorer.default`) are written by ``benchmarks/user_voice.py``; see
``participants/data/user_voice.card.md`` for corpora, counts and held-out accuracy.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from simulacra.errors import ConfigError, MissingExtraError

__all__ = [
    "FEATURISER",
    "VOICE_FILE_KIND",
    "UserVoiceScorer",
    "VoiceExample",
    "train_user_voice",
    "voice_features",
]

VOICE_FILE_KIND = "simulacra.user_voice"
"""The ``kind`` field of a scorer file."""

FEATURISER = "simulacra.voice-features/1"
"""The featuriser version a scorer file was trained with (a mismatch is refused on load)."""

FEATURE_DESCRIPTION = (
    "binary, L2-normalised: lowercased word unigrams (w:) and bigrams with start/end markers "
    "(b:), digits -> <num>, MultiWOZ-split clitics re-attached; shape features (s:): word-count "
    "bucket, '?', '!', sentence count, greeting/pleasantry opener, first person, second person, "
    "markdown/list markers, lowercase start, no final punctuation"
)

_FILE_VERSION = 1
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_CLITIC = re.compile(r"\s+(n't|'s|'m|'re|'ve|'ll|'d)\b")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[?!]")
_SENTENCE_END = re.compile(r"[.?!]+(?:\s|$)")
_MARKDOWN = re.compile(r"(?m)^\s*(?:[-*\u2022]\s|\d+[.)]\s|#{1,6}\s)|\*\*|__|`")
_FIRST_PERSON = frozenset({"i", "i'm", "i'd", "i'll", "i've", "me", "my", "mine", "myself"})
_SECOND_PERSON = frozenset(
    {"you", "you're", "you'd", "you'll", "you've", "your", "yours", "yourself", "u"}
)
_PLEASANTRIES = (
    ("hi",),
    ("hello",),
    ("hey",),
    ("greetings",),
    ("good", "morning"),
    ("good", "afternoon"),
    ("good", "evening"),
    ("thanks",),
    ("thank", "you"),
    ("sure",),
    ("certainly",),
    ("of", "course"),
    ("absolutely",),
    ("great",),
    ("perfect",),
    ("no", "problem"),
    ("welcome",),
    ("you're", "welcome"),
    ("glad",),
    ("happy", "to"),
)
_LENGTH_BUCKETS = ((0, "0"), (1, "1"), (3, "2-3"), (6, "4-6"), (12, "7-12"), (20, "13-20"))


def _tokens(text: str) -> list[str]:
    text = _CLITIC.sub(r"\1", text.lower().translate(_APOSTROPHES))
    return ["<num>" if any(c.isdigit() for c in t) else t for t in _TOKEN.findall(text)]


def _length_bucket(words: int) -> str:
    for top, name in _LENGTH_BUCKETS:
        if words <= top:
            return name
    return "21-35" if words <= 35 else "36+"


def _feature_set(text: str) -> set[str]:
    tokens = _tokens(text)
    words = [t for t in tokens if t not in ("?", "!")]
    feats = {f"w:{t}" for t in tokens}
    bounded = ["<s>", *tokens, "</s>"]
    feats.update(f"b:{a} {b}" for a, b in pairwise(bounded))
    feats.add(f"s:len={_length_bucket(len(words))}")
    stripped = text.strip()
    sentences = len(_SENTENCE_END.findall(stripped + " "))
    feats.add(f"s:sentences={min(sentences, 3)}")
    if "?" in text:
        feats.add("s:question")
    if "!" in text:
        feats.add("s:exclamation")
    if any(tuple(words[: len(p)]) == p for p in _PLEASANTRIES):
        feats.add("s:opens_pleasantry")
    if _FIRST_PERSON.intersection(words):
        feats.add("s:first_person")
    if _SECOND_PERSON.intersection(words):
        feats.add("s:second_person")
    if _MARKDOWN.search(text):
        feats.add("s:markdown")
    first_alpha = next((c for c in stripped if c.isalpha()), "")
    if first_alpha.islower():
        feats.add("s:lowercase_start")
    if stripped and stripped[-1] not in ".?!":
        feats.add("s:no_final_punct")
    return feats


def voice_features(text: str) -> dict[str, float]:
    """The features of one turn, as the scorer and its training both see them.

    Args:
        text: The turn.

    Returns:
        Feature name → value (every present feature has the same value,
        ``1/sqrt(number of features)``, so the vector has unit length).
    """
    feats = _feature_set(text)
    norm = 1.0 / math.sqrt(len(feats))
    return dict.fromkeys(sorted(feats), norm)


@dataclass(frozen=True, slots=True)
class VoiceExample:
    """One labelled turn.

    Attributes:
        text: What was said.
        user: Whether the user/customer side said it (``False``: assistant, agent or system).
        corpus: Where it comes from (a corpus kind such as ``multiwoz21``, or ``run:<name>``).
        conversation: The conversation it belongs to, if known (held-out splits keep a
            conversation's turns together).
    """

    text: str
    user: bool
    corpus: str
    conversation: str | None = None


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class UserVoiceScorer:
    """``P(real user | turn)`` from a linear model over :func:`voice_features`.

    Args:
        weights: Feature name → weight (features not listed weigh 0).
        intercept: The bias.
        threshold: A turn "sounds like a user" when its score reaches this.
        card: Metadata stored with the weights (version, corpora, counts, held-out accuracy,
            features, threshold).

    Example:
        >>> scorer = UserVoiceScorer.default()
        >>> scorer.score("hi, i need a cheap hotel in the north") > 0.5
        True
    """

    def __init__(
        self,
        weights: Mapping[str, float],
        intercept: float,
        *,
        threshold: float = 0.5,
        card: Mapping[str, Any] | None = None,
    ) -> None:
        self.weights: dict[str, float] = {str(k): float(v) for k, v in weights.items()}
        self.intercept = float(intercept)
        self.threshold = float(threshold)
        self.card: dict[str, Any] = dict(card or {})

    def logit(self, text: str) -> float:
        """The linear score before the sigmoid.

        Args:
            text: The turn.

        Returns:
            ``intercept + Σ weight · value`` over the turn's features.
        """
        weights = self.weights
        total = self.intercept
        for name, value in voice_features(text).items():
            w = weights.get(name)
            if w is not None:
                total += w * value
        return total

    def score(self, text: str) -> float:
        """How much a turn sounds like the user.

        Args:
            text: The turn.

        Returns:
            ``P(user)`` in ``[0, 1]``.
        """
        return _sigmoid(self.logit(text))

    def scores(self, texts: Sequence[str]) -> list[float]:
        """:meth:`score` for each turn.

        Args:
            texts: The turns.

        Returns:
            One probability per turn, in order.
        """
        return [self.score(t) for t in texts]

    def is_user(self, text: str) -> bool:
        """Whether a turn sounds like the user (its score reaches :attr:`threshold`).

        Args:
            text: The turn.

        Returns:
            ``score(text) >= threshold``.
        """
        return self.score(text) >= self.threshold

    def top_features(self, n: int = 20) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """The strongest user and assistant cues.

        Args:
            n: How many of each.

        Returns:
            ``(user_cues, assistant_cues)``: the ``n`` largest and ``n`` smallest weights.
        """
        ranked = sorted(self.weights.items(), key=lambda kv: (kv[1], kv[0]))
        return list(reversed(ranked[-n:])), ranked[:n]

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form written by :meth:`save`."""
        return {
            "kind": VOICE_FILE_KIND,
            "version": _FILE_VERSION,
            "featuriser": FEATURISER,
            "threshold": self.threshold,
            "intercept": self.intercept,
            "card": self.card,
            "weights": dict(sorted(self.weights.items())),
        }

    def save(self, path: str | Path) -> Path:
        """Write the scorer as JSON (weights and card; no pickle).

        Args:
            path: The file to write.

        Returns:
            The path written.
        """
        path = Path(path)
        path.write_text(
            json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n",
            encoding="utf-8",
        )
        return path

    @classmethod
    def from_dict(cls, data: object, *, where: str = "user-voice data") -> UserVoiceScorer:
        """A scorer from the dict :meth:`to_dict` gives.

        Args:
            data: The parsed JSON.
            where: What to name in errors (the file).

        Returns:
            The scorer.

        Raises:
            ConfigError: One line when it is not a scorer file, or a corrupt one.
        """
        if not isinstance(data, dict) or data.get("kind") != VOICE_FILE_KIND:
            kind = data.get("kind") if isinstance(data, dict) else type(data).__name__
            raise ConfigError(
                f"{where}: not a user-voice scorer file (kind {kind!r}, "
                f"expected {VOICE_FILE_KIND!r})"
            )
        if data.get("featuriser") != FEATURISER:
            raise ConfigError(
                f"{where}: trained with featuriser {data.get('featuriser')!r}, this version "
                f"reads {FEATURISER!r}; retrain with 'simulacra gate voice-train'"
            )
        try:
            weights = data["weights"]
            if not isinstance(weights, dict):
                raise TypeError("weights is not an object")
            card = data.get("card") or {}
            if not isinstance(card, dict):
                raise TypeError("card is not an object")
            return cls(
                weights,
                float(data["intercept"]),
                threshold=float(data.get("threshold", 0.5)),
                card=card,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: corrupt user-voice scorer file ({exc})") from None

    @classmethod
    def load(cls, path: str | Path) -> UserVoiceScorer:
        """Read a scorer written by :meth:`save`.

        Args:
            path: The JSON file.

        Returns:
            The scorer.

        Raises:
            ConfigError: One line when the file is missing, not JSON, or not a scorer file.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: user-voice scorer file not found") from None
        except (OSError, UnicodeDecodeError, ValueError):
            raise ConfigError(
                f"{path}: not a user-voice scorer file (expected JSON written by "
                "'simulacra gate voice-train')"
            ) from None
        return cls.from_dict(data, where=str(path))

    @classmethod
    def default(cls) -> UserVoiceScorer:
        """The shipped scorer (package data ``participants/data/user_voice.json``; cached).

        Returns:
            The scorer trained on real corpora (see its :attr:`card`).
        """
        return _default_scorer()


@functools.lru_cache(maxsize=1)
def _default_scorer() -> UserVoiceScorer:
    text = (
        resources.files("simulacra.participants")
        .joinpath("data/user_voice.json")
        .read_text(encoding="utf-8")
    )
    return UserVoiceScorer.from_dict(json.loads(text), where="simulacra user_voice.json")


def train_user_voice(
    examples: Sequence[VoiceExample],
    *,
    C: float = 1.0,
    max_features: int = 20_000,
    min_count: int = 2,
    decimals: int = 4,
) -> UserVoiceScorer:
    """Fit a scorer on labelled turns (logistic regression over :func:`voice_features`).

    Features seen in fewer than ``min_count`` training turns are dropped; after a first fit only
    the ``max_features`` weights of largest magnitude are kept and the model is refit on them;
    weights are rounded to ``decimals`` places (the file stays small). Classes are balanced.

    Args:
        examples: Labelled turns (both labels needed).
        C: Inverse L2 regularisation strength.
        max_features: How many weights to keep.
        min_count: Least number of training turns a feature must occur in.
        decimals: Rounding of the exported weights.

    Returns:
        The scorer; its card holds the training counts per corpus.

    Raises:
        ConfigError: With fewer than two examples of either label, or bad parameters.
        MissingExtraError: Without scikit-learn (the ``eval`` extra).
    """
    items = list(examples)
    n_user = sum(e.user for e in items)
    n_other = len(items) - n_user
    if n_user < 2 or n_other < 2:
        raise ConfigError(
            f"user-voice training needs at least 2 user and 2 other turns "
            f"(got {n_user} user, {n_other} other)"
        )
    if C <= 0 or max_features < 1 or min_count < 1:
        raise ConfigError("user-voice training: C must be > 0, max_features and min_count >= 1")
    try:
        import numpy as np
        from sklearn.feature_extraction import (  # type: ignore[import-untyped,unused-ignore]
            DictVectorizer,
        )
        from sklearn.linear_model import (  # type: ignore[import-untyped,unused-ignore]
            LogisticRegression,
        )
    except ImportError:
        raise MissingExtraError("eval", "training the user-voice scorer") from None

    rows = [voice_features(e.text) for e in items]
    counts: dict[str, int] = {}
    for row in rows:
        for name in row:
            counts[name] = counts.get(name, 0) + 1
    keep = {f for f, c in counts.items() if c >= min_count}
    if not keep:
        raise ConfigError(
            f"user-voice training: no feature occurs in {min_count} or more of the "
            f"{len(items)} turns; give more turns"
        )
    y = np.asarray([int(e.user) for e in items])

    def fit(features: set[str]) -> tuple[dict[str, float], float]:
        vectorizer = DictVectorizer(sparse=True, sort=True)
        vectorizer.fit([dict.fromkeys(sorted(features), 1.0)])
        x = vectorizer.transform(rows)
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, solver="lbfgs")
        model.fit(x, y)
        names = [str(n) for n in vectorizer.get_feature_names_out()]
        coef = [float(w) for w in model.coef_[0]]
        return dict(zip(names, coef, strict=True)), float(model.intercept_[0])

    weights, intercept = fit(keep)
    if len(weights) > max_features:
        strongest = sorted(weights, key=lambda f: (-abs(weights[f]), f))[:max_features]
        weights, intercept = fit(set(strongest))
    rounded = {f: round(w, decimals) for f, w in weights.items()}
    rounded = {f: w for f, w in rounded.items() if w != 0.0}
    corpora: dict[str, dict[str, int]] = {}
    for e in items:
        c = corpora.setdefault(e.corpus, {"user": 0, "other": 0})
        c["user" if e.user else "other"] += 1
    from sklearn import __version__ as sklearn_version  # type: ignore[import-untyped,unused-ignore]

    card: dict[str, Any] = {
        "version": 1,
        "featuriser": FEATURISER,
        "features": FEATURE_DESCRIPTION,
        "model": (
            f"logistic regression (scikit-learn {sklearn_version}, lbfgs, L2, C={C}, "
            f"balanced classes), {len(rounded)} weights kept of {len(keep)} features seen in "
            f">= {min_count} turns"
        ),
        "threshold": 0.5,
        "train": {"turns": len(items), "user": n_user, "other": n_other, "corpora": corpora},
    }
    return UserVoiceScorer(rounded, round(intercept, decimals), threshold=0.5, card=card)
