"""Likelihood features of a response under the embedded model — no generation.

- ``ll``: the conditional log-likelihood of the response given its context, per token (nats);
- ``pmi``: ``ll`` minus the response's per-token log-likelihood without the context (how much
  the context makes the response more likely: relevance, not blandness);
- ``fed``: FED-style (Mehri & Eskenazi, 2020): the mean per-token log-likelihood of the
  positive follow-ups in ``evaluation/data/fed_followups.yaml`` (a versioned file: "Tell me
  more!") after the response minus that of the negative ones ("That makes no sense.");
- cheap ones: ``log_words`` (log of 1 + words), ``overlap`` (content-word Jaccard with the
  previous turn), ``asks_back`` (a question mark).

Dialogue-level items get the same features over their turns (each turn given the turns before
it; the last ``max_turns`` turns only) and the dialogue-level follow-ups after the last turn.
Speakers are relabelled ``A``/``B`` alternating, the judged (last) one ``B``, so that what is
scored is the text and not the names.
"""

from __future__ import annotations

import functools
import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from simulacra.errors import ConfigError
from simulacra.evaluation._judge import JudgeItem, Verdict, _last_text, _words
from simulacra.evaluation._logprob import EmbeddedScorer

__all__ = [
    "CHEAP_FEATURES",
    "LIKELIHOOD_FEATURES",
    "FollowUps",
    "LikelihoodJudge",
    "cheap_features",
    "likelihood_features",
    "load_followups",
]

HEADER = "A conversation between two people.\n\n"
LIKELIHOOD_FEATURES = ("ll", "pmi", "fed")
CHEAP_FEATURES = ("log_words", "overlap", "asks_back")


@dataclass(frozen=True)
class FollowUps:
    """The versioned follow-up set: level → (positive, negative)."""

    version: int
    turn: tuple[tuple[str, ...], tuple[str, ...]]
    dialogue: tuple[tuple[str, ...], tuple[str, ...]]

    @property
    def ref(self) -> str:
        """``followups/fed@<version>``, recorded with results."""
        return f"followups/fed@{self.version}"


@functools.lru_cache(maxsize=4)
def load_followups(path: str | None = None) -> FollowUps:
    """The packaged follow-ups, or a YAML file of the same shape.

    Raises:
        ConfigError: If the file is missing or malformed.
    """
    p = (
        Path(path)
        if path
        else Path(str(resources.files("simulacra.evaluation").joinpath("data")))
        / "fed_followups.yaml"
    )
    if not p.is_file():
        raise ConfigError(f"follow-ups file not found: {p}")
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    try:
        sides = {
            level: tuple(
                tuple(str(t) for t in data[level][side]) for side in ("positive", "negative")
            )
            for level in ("turn", "dialogue")
        }
        version = int(data["version"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(
            f"{p}: expected version and turn/dialogue lists of positive and negative follow-ups"
        ) from None
    if not all(s for pair in sides.values() for s in pair):
        raise ConfigError(f"{p}: every follow-up list needs at least one entry")
    return FollowUps(version, sides["turn"], sides["dialogue"])  # type: ignore[arg-type]


def _texts(item: JudgeItem, max_turns: int) -> list[str]:
    texts = [_last_text([line]).strip() for line in item.context]
    if item.response is not None:
        texts.append(item.response.strip())
    return [t for t in texts if t][-max_turns:]


def _labels(n: int) -> list[str]:
    return ["B" if (n - 1 - i) % 2 == 0 else "A" for i in range(n)]


def cheap_features(item: JudgeItem, *, max_turns: int = 8) -> dict[str, float]:
    """``log_words``, ``overlap`` and ``asks_back`` of the response (or mean over the turns)."""
    texts = _texts(item, max_turns) or [""]
    if item.response is not None:
        judged = [(texts[-2] if len(texts) > 1 else "", texts[-1])]
    else:
        judged = [("", texts[0]), *itertools.pairwise(texts)]
    rows = []
    for prev, text in judged:
        wp, wt = _words(prev), _words(text)
        rows.append(
            (
                math.log1p(len(text.split())),
                len(wp & wt) / len(wp | wt) if wp | wt else 0.0,
                float("?" in text),
            )
        )
    return {name: statistics.fmean(r[i] for r in rows) for i, name in enumerate(CHEAP_FEATURES)}


def likelihood_features(
    scorer: EmbeddedScorer,
    item: JudgeItem,
    *,
    followups: FollowUps | None = None,
    max_turns: int = 8,
) -> dict[str, float]:
    """``ll``, ``pmi`` and ``fed`` of one item (see the module doc)."""
    fu = followups or load_followups()
    texts = _texts(item, max_turns)
    if not texts:
        return {"ll": 0.0, "pmi": 0.0, "fed": 0.0}
    labels = _labels(len(texts))
    # the scored turns: the response (turn level) or every turn (dialogue level)
    scored = [len(texts) - 1] if item.response is not None else list(range(len(texts)))
    cond_lp = cond_n = free_lp = 0.0
    for i in scored:
        before = "".join(f"{labels[j]}: {texts[j]}\n" for j in range(i))
        ((lp, n),) = scorer.continuation(f"{HEADER}{before}{labels[i]}:", [" " + texts[i]])
        cond_lp, cond_n = cond_lp + lp, cond_n + n
    # the follow-ups extend the last conditional prefix: the cache serves them
    positive, negative = fu.turn if item.response is not None else fu.dialogue
    whole = "".join(f"{lab}: {t}\n" for lab, t in zip(labels, texts, strict=True))
    results = scorer.continuation(f"{HEADER}{whole}A:", [" " + f for f in (*positive, *negative)])
    per_token = [lp / n if n else 0.0 for lp, n in results]
    fed = statistics.fmean(per_token[: len(positive)]) - statistics.fmean(
        per_token[len(positive) :]
    )
    for i in scored:
        ((lp, _),) = scorer.continuation(f"{HEADER}{labels[i]}:", [" " + texts[i]])
        free_lp += lp
    ll = cond_lp / cond_n if cond_n else 0.0
    pmi = (cond_lp - free_lp) / cond_n if cond_n else 0.0
    return {"ll": ll, "pmi": pmi, "fed": fed}


class LikelihoodJudge:
    """A judge whose score is one likelihood feature (default ``fed``) — no generation.

    Args:
        scorer: The embedded model.
        feature: ``ll``, ``pmi`` or ``fed``.
        followups: The follow-up set (default: the packaged one).
        max_turns: Dialogue items: score the last this many turns.
    """

    def __init__(
        self,
        scorer: EmbeddedScorer,
        *,
        feature: str = "fed",
        followups: FollowUps | None = None,
        max_turns: int = 8,
    ) -> None:
        if feature not in LIKELIHOOD_FEATURES:
            raise ConfigError(f"likelihood feature must be one of {LIKELIHOOD_FEATURES}")
        self.scorer = scorer
        self.feature = feature
        self.followups = followups or load_followups()
        self.max_turns = max_turns
        self.name = f"{scorer.name}+likelihood:{feature}"

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """One verdict per item with the dimension ``score`` and every feature in details."""
        out = []
        for item in items:
            feats = likelihood_features(
                self.scorer, item, followups=self.followups, max_turns=self.max_turns
            )
            out.append(
                Verdict(
                    item_id=item.id,
                    judge=self.name,
                    rubric=self.followups.ref if self.feature == "fed" else None,
                    scores={"score": feats[self.feature]},
                    details=feats,
                    conversation_id=item.conversation_id,
                    turn_index=item.turn_index,
                )
            )
        return out
