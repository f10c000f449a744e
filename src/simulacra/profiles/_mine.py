"""Behaviour profiles mined from real conversations, and a population sampler that reproduces
their joint distribution (issue #22).

Per user (one real dialogue is one user in corpora without user ids, as in MultiWOZ or
Taskmaster), from the markers shared with the behavioural fingerprint
(:mod:`simulacra.profiles._markers`):

- ``words_per_turn`` (verbosity): mean words per user turn;
- ``short_share`` (terseness): share of turns of at most 3 words;
- ``polite_share`` (politeness): share of turns with a politeness marker;
- ``typo_rate``: share of words that look like typos — rare in the whole corpus (at most 2
  occurrences) and one edit (insert, drop, swap, substitute) from a common word (at least 10);
- ``question_share``: share of turns that ask the other side something;
- ``disclosure`` (disclosure style): share of the structured goal's items the user said that
  were said in its first turn (``None`` without a structured goal);
- ``patience``: share of the user's reactions to the other side's errors or refusals that are
  not complaints (``None`` when the other side reported none).

:func:`sample_behaviour` draws a population from mined vectors: a smoothed bootstrap — pick a
mined user at random and jitter each of its values with Gaussian noise (on the log scale for
words per turn, the logit scale for shares; half Silverman's bandwidth), leaving values at 0 or 1
and missing ones as they are. Whole vectors are drawn, so correlations between behaviours
(terse users who are also blunt) carry over.

:func:`to_persona` turns a vector into a :class:`~simulacra.profiles.Persona` whose behaviour
knobs and free attributes condition the simulated user (see ``docs/profiles.md``).
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from simulacra.profiles import _markers as m

if TYPE_CHECKING:
    from simulacra.conversation import Conversation
    from simulacra.profiles._kinds import Persona

__all__ = [
    "DIMENSIONS",
    "BehaviourVector",
    "UserDialogue",
    "mine_behaviour",
    "sample_behaviour",
    "to_persona",
    "user_dialogue",
]

DIMENSIONS = (
    "words_per_turn",
    "short_share",
    "polite_share",
    "typo_rate",
    "question_share",
    "disclosure",
    "patience",
)
_RARE, _COMMON = 2, 10
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class UserDialogue:
    """One user's dialogue: ``turns`` as ``(role, text)``, role ``user`` or ``system``, and the
    structured goal's ``(slot, value)`` items (empty when none)."""

    id: str
    turns: tuple[tuple[str, str], ...]
    goal_items: tuple[tuple[str, str], ...] = ()

    @property
    def user_turns(self) -> list[str]:
        return [t for r, t in self.turns if r == "user"]


def user_dialogue(c: Conversation, user_id: str, task: object | None = None) -> UserDialogue:
    """A conversation as one user's dialogue (every speaker but ``user_id`` is the system), its
    texts as typed (:func:`~simulacra.profiles._markers.surface_text`)."""
    return UserDialogue(
        id=c.scenario_id or c.id,
        turns=tuple(
            ("user" if t.speaker == user_id else "system", m.surface_text(t.utterance))
            for t in c.turns
        ),
        goal_items=tuple(m.goal_items(task)) if task is not None else (),
    )


@dataclass(frozen=True)
class BehaviourVector:
    """One user's mined behaviour (see the module docstring for each value)."""

    id: str
    words_per_turn: float
    short_share: float
    polite_share: float
    typo_rate: float
    question_share: float
    disclosure: float | None = None
    patience: float | None = None

    def values(self) -> dict[str, float | None]:
        """The dimensions by name."""
        return {k: v for k, v in asdict(self).items() if k != "id"}


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    out.discard(word)
    return out


def typo_words(counts: Counter[str]) -> set[str]:
    """The words of a corpus vocabulary that look like typos (rare, alphabetic, at least four
    letters, one edit from a common word)."""
    common = {w for w, c in counts.items() if c >= _COMMON}
    return {
        w
        for w, c in counts.items()
        if c <= _RARE and len(w) >= 4 and w.isalpha() and not common.isdisjoint(_edits(w))
    }


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def mine_behaviour(dialogues: Sequence[UserDialogue]) -> list[BehaviourVector]:
    """One behaviour vector per dialogue with at least one user turn."""
    counts: Counter[str] = Counter(w for d in dialogues for t in d.user_turns for w in m.words(t))
    typos = typo_words(counts)
    out: list[BehaviourVector] = []
    for d in dialogues:
        turns = d.user_turns
        if not turns:
            continue
        tokens = [w for t in turns for w in m.words(t)]
        said = m.first_mentions(turns, d.goal_items) if d.goal_items else []
        reactions = []
        for i, (role, text) in enumerate(d.turns):
            if role == "system" and m.is_system_trouble(text):
                nxt = next((t for r, t in d.turns[i + 1 :] if r == "user"), None)
                if nxt is not None:
                    reactions.append(m.reaction(nxt))
        out.append(
            BehaviourVector(
                id=d.id,
                words_per_turn=len(tokens) / len(turns),
                short_share=_share([m.is_short(t) for t in turns]),
                polite_share=_share([m.is_polite(t) for t in turns]),
                typo_rate=sum(1 for w in tokens if w in typos) / len(tokens) if tokens else 0.0,
                question_share=_share([m.is_question(t) for t in turns]),
                disclosure=_share([i == 0 for _, i in said]) if said else None,
                patience=1 - _share([r == "negative" for r in reactions]) if reactions else None,
            )
        )
    return out


def _to_scale(name: str, v: float) -> float:
    if name == "words_per_turn":
        return math.log(max(v, 0.5))
    return math.log(v / (1 - v))


def _from_scale(name: str, x: float) -> float:
    if name == "words_per_turn":
        return math.exp(x)
    return 1 / (1 + math.exp(-x))


def _interior(name: str, v: float) -> bool:
    return name == "words_per_turn" or 0.0 < v < 1.0


def sample_behaviour(
    vectors: Sequence[BehaviourVector], n: int, *, seed: int = 0, bandwidth: float = 0.5
) -> list[BehaviourVector]:
    """``n`` vectors drawn from the mined ones by a smoothed bootstrap (module docstring).

    Raises:
        ValueError: When there are no vectors to draw from.
    """
    if not vectors:
        raise ValueError("no mined behaviour vectors to sample from")
    rng = random.Random(seed)
    h = bandwidth * 1.06 * len(vectors) ** -0.2
    sd: dict[str, float] = {}
    for name in DIMENSIONS:
        xs = [
            _to_scale(name, v)
            for vec in vectors
            if (v := vec.values()[name]) is not None and _interior(name, v)
        ]
        sd[name] = statistics.stdev(xs) if len(xs) > 1 else 0.0
    out = []
    for i in range(n):
        base = rng.choice(vectors).values()
        new: dict[str, float | None] = {}
        for name in DIMENSIONS:
            v = base[name]
            if v is None or not _interior(name, v) or sd[name] == 0.0:
                new[name] = v
                continue
            new[name] = _from_scale(name, _to_scale(name, v) + rng.gauss(0.0, h * sd[name]))
        out.append(BehaviourVector(id=f"sampled-{i + 1}", **new))  # type: ignore[arg-type]
    return out


def _pct(share: float) -> str:
    return f"{round(100 * share)}% of your messages"


def to_persona(v: BehaviourVector) -> Persona:
    """A persona conditioned on a behaviour vector.

    Knobs: ``verbosity`` = ``(1.5 · words per turn − 6) / 30`` clipped to [0, 1] (so the word
    budget a terse persona is held to, ``6 + 30 · verbosity``, is about 1.5 times the user's
    mean), ``politeness`` = its polite share, ``typo_rate`` = its typo rate (applied
    mechanically), ``cooperativeness`` = its disclosure share, ``patience`` = its patience.
    Attributes (rendered into the persona prompt): the message length, the share of very short
    replies and of questions.
    """
    from simulacra.profiles._kinds import Persona
    from simulacra.profiles._persona import Behaviour

    def clip(x: float) -> float:
        return round(min(1.0, max(0.0, x)), 3)

    behaviour = Behaviour(
        verbosity=clip((1.5 * v.words_per_turn - 6) / 30),
        politeness=clip(v.polite_share),
        typo_rate=clip(v.typo_rate),
        cooperativeness=None if v.disclosure is None else clip(v.disclosure),
        patience=None if v.patience is None else clip(v.patience),
    )
    return Persona(
        id=f"mined:{v.id}",
        name="User",
        behaviour=behaviour,
        attributes={
            "message length": f"about {max(1, round(v.words_per_turn))} words",
            "very short replies (three words or fewer)": _pct(v.short_share),
            "questions to the assistant": _pct(v.question_share),
        },
    )
