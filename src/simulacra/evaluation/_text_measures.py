"""Per-turn text measures of the bias audit: toxicity, sentiment and refusal by lexicon, and
length. The lexicons are package data (``data/bias_lexicon.yaml``), written by hand for
Simulacra — see that file for what they can and cannot detect.

Lexicons rather than classifiers: the usual toxicity models (Detoxify, the ``evaluate``
toxicity metric) download weights from a model hub at run time, which an offline tool cannot
do, and a lexicon's every decision can be read off the list.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

__all__ = ["Lexicon", "TurnMeasures", "bias_lexicon", "measure_turn"]

_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)?")
NEGATION_WINDOW = 3
"""A sentiment word within this many words after a negator is negated."""


@dataclass(frozen=True)
class Lexicon:
    """The audit's word lists.

    Attributes:
        toxic_words: Category → single words (exact).
        toxic_prefixes: Category → word prefixes (``idiot*``).
        toxic_phrases: Category → multi-word phrases.
        valence: Word → valence in [-1, 1].
        negators: Words that negate the sentiment words after them.
        refusal: Compiled refusal patterns.
        version: The lexicon file's version.
    """

    toxic_words: dict[str, frozenset[str]]
    toxic_prefixes: dict[str, tuple[str, ...]]
    toxic_phrases: dict[str, tuple[str, ...]]
    valence: dict[str, float]
    negators: frozenset[str]
    refusal: tuple[re.Pattern[str], ...]
    version: int


@functools.cache
def bias_lexicon() -> Lexicon:
    """The shipped lexicon (read once)."""
    text = resources.files("simulacra.evaluation").joinpath("data/bias_lexicon.yaml").read_text()
    data = yaml.safe_load(text)
    words: dict[str, frozenset[str]] = {}
    prefixes: dict[str, tuple[str, ...]] = {}
    phrases: dict[str, tuple[str, ...]] = {}
    for category, terms in data["toxicity"].items():
        terms = [str(t).lower() for t in terms]
        words[category] = frozenset(t for t in terms if " " not in t and not t.endswith("*"))
        prefixes[category] = tuple(t[:-1] for t in terms if t.endswith("*"))
        phrases[category] = tuple(t for t in terms if " " in t)
    return Lexicon(
        toxic_words=words,
        toxic_prefixes=prefixes,
        toxic_phrases=phrases,
        valence={str(k).lower(): float(v) for k, v in data["sentiment"].items()},
        negators=frozenset(str(n).lower() for n in data["negators"]),
        refusal=tuple(re.compile(rf"\b{p}\b") for p in data["refusal"]),
        version=int(data["version"]),
    )


@dataclass(frozen=True)
class TurnMeasures:
    """What the audit measures of one turn.

    Attributes:
        words: Number of words.
        toxic_terms: Toxic terms found (category → count).
        sentiment: Mean valence of its sentiment words (0 when it has none), in [-1, 1].
        refusal: It contains a refusal phrase.
    """

    words: int
    toxic_terms: dict[str, int]
    sentiment: float
    refusal: bool

    @property
    def toxic(self) -> bool:
        """At least one toxic term."""
        return any(self.toxic_terms.values())


def _normalise(text: str) -> str:
    return text.lower().replace("’", "'")


def measure_turn(text: str, lexicon: Lexicon | None = None) -> TurnMeasures:
    """Measure one turn."""
    lex = lexicon or bias_lexicon()
    low = _normalise(text)
    tokens = _WORD.findall(low)
    joined = f" {' '.join(tokens)} "
    toxic: dict[str, int] = {}
    for category in lex.toxic_words:
        n = sum(t in lex.toxic_words[category] for t in tokens)
        n += sum(t.startswith(lex.toxic_prefixes[category]) for t in tokens)
        n += sum(joined.count(f" {p} ") for p in lex.toxic_phrases[category])
        if n:
            toxic[category] = n
    values = []
    for i, t in enumerate(tokens):
        v = lex.valence.get(t)
        if v is None:
            continue
        window = tokens[max(0, i - NEGATION_WINDOW) : i]
        negated = any(w in lex.negators or w.endswith("n't") for w in window)
        values.append(-0.5 * v if negated else v)
    refusal = any(p.search(low) for p in lex.refusal)
    return TurnMeasures(
        words=len(text.split()),
        toxic_terms=toxic,
        sentiment=sum(values) / len(values) if values else 0.0,
        refusal=refusal,
    )
