"""Recipe: conversational recommendation (survey Appendix G.1).

Simulated users carry real preferences — the genres, keywords, already-seen and disliked titles
of the users of the IAI MovieBot dialogues (:mod:`simulacra.datasets._moviebot_prefs`) — and talk
to a recommender over the catalogue of titles MovieBot recommended. Success is a check function:
the user accepted a recommended title that is in the catalogue, shares a genre with what they
asked for, and is neither already seen nor disliked.

Two systems under test ship with the recipe: :class:`CatalogueRecommender` (rule based: the
next unrecommended title of the genres the user named) and a chat model with the catalogue in
its system prompt (:func:`catalogue_prompt`); yours plugs in as any participant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation, View
from simulacra.datasets._moviebot_prefs import (
    Movie,
    MoviePreferences,
    load_moviebot_preferences,
    moviebot_catalogue,
)
from simulacra.models import GenerateConfig, Model
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import (
    CallableTarget,
    ModelTarget,
    Participant,
    PromptedUser,
    ValidityOptions,
    gate_user,
    is_simulator_invalid,
    mark_simulator_validity,
    simulator_validity,
)
from simulacra.profiles import Persona
from simulacra.recipes._common import estimate

__all__ = [
    "CatalogueRecommender",
    "accepted_recommendation",
    "catalogue_prompt",
    "model_recommender",
    "preference_goal",
    "recommendation_report",
    "run_recommendation",
]

_ACCEPT = re.compile(
    r"\b(i'?ll watch|i will watch|i'?ll (take|try|go with|check)|i'?d (like|love) to watch|"
    r"(sounds|looks) (good|great|perfect|interesting)|let'?s go with|i accept|perfect|"
    r"great choice|i want to watch|i'?m going to watch)\b",
    re.IGNORECASE,
)
_REJECT = re.compile(
    r"\b(already (seen|watched)|seen it|watched it|not for me|don'?t like|another|"
    r"something else|not interested)\b",
    re.IGNORECASE,
)


def preference_goal(prefs: MoviePreferences) -> str:
    """The simulated user's goal: what they like, what they have seen, when to accept."""
    parts = [f"Get a movie recommendation for tonight. You like {', '.join(prefs.genres)} movies"]
    if prefs.keywords:
        parts[-1] += f", ideally {' or '.join(prefs.keywords)}"
    parts[-1] += "."
    if prefs.seen:
        parts.append(f"You have already seen: {'; '.join(prefs.seen)}.")
    if prefs.disliked:
        parts.append(f"You do not want: {'; '.join(prefs.disliked)}.")
    parts.append(
        "Tell the assistant what you like. If it suggests a movie you have not seen that fits "
        'your taste, accept it by writing "I\'ll watch <title>". Otherwise say why and ask for '
        "another one."
    )
    return " ".join(parts)


def catalogue_prompt(catalogue: Sequence[Movie]) -> str:
    """A recommender's system prompt listing the catalogue."""
    lines = [f"- {m.title} ({', '.join(m.genres) or 'unknown genre'})" for m in catalogue]
    return (
        "You are a movie recommender. Recommend one movie at a time, only from this catalogue, "
        "by its exact title, and ask whether the user has seen it. Ask which genres the user "
        "likes if you do not know.\nCatalogue:\n" + "\n".join(lines)
    )


def _mentioned(text: str, catalogue: Sequence[Movie]) -> list[tuple[int, Movie]]:
    low = text.lower()
    found = [(low.rfind(m.title.lower()), m) for m in catalogue]
    return sorted((pos, m) for pos, m in found if pos >= 0)


@dataclass
class _State:
    genres: list[str]
    offered: list[str]


class CatalogueRecommender:
    """A rule-based recommender (a system under test with known behaviour): it collects the
    catalogue genres named in the user's messages and offers the next title of those genres it
    has not offered yet in this conversation."""

    def __init__(self, catalogue: Sequence[Movie]) -> None:
        self.catalogue = list(catalogue)
        self.genres = sorted({g for m in self.catalogue for g in m.genres}, key=len, reverse=True)
        self._state: dict[str, _State] = {}

    def __call__(self, view: View) -> str:
        state = self._state.setdefault(view.conversation_id, _State([], []))
        said = " ".join(m.content for m in view.messages if m.role == "user").lower()
        for genre in self.genres:
            spelled = {genre, genre.replace("-", " "), genre.replace("-", "")}
            if genre not in state.genres and any(s in said for s in spelled):
                state.genres.append(genre)
        if not state.genres:
            return "Which genres do you like?"
        for movie in self.catalogue:
            if movie.title not in state.offered and set(movie.genres) & set(state.genres):
                state.offered.append(movie.title)
                return f"How about {movie.title} ({', '.join(movie.genres)})? Have you seen it?"
        return f"Sorry, I have no more {' and '.join(state.genres)} movies."

    def participant(self) -> CallableTarget:
        """As a participant of a conversation."""
        return CallableTarget(self, name="Recommender")


def accepted_recommendation(
    conversation: Conversation, prefs: MoviePreferences, catalogue: Sequence[Movie]
) -> tuple[bool, str]:
    """The check: did the user accept a catalogue title that fits their preferences?

    An acceptance is a user turn with an accepting phrase ("I'll watch ...", "sounds good") and
    no rejecting one ("already seen", "another"); the accepted title is the one the user names,
    else the last one the assistant named just before. Returns ``(ok, why)``.
    """
    users = {p.id for p in conversation.participants if p.kind.value != "ai_system"}
    previous = ""
    for turn in conversation.turns:
        text = turn.utterance or ""
        if turn.speaker not in users:
            previous = text
            continue
        if not _ACCEPT.search(text) or _REJECT.search(text):
            continue
        named = _mentioned(text, catalogue) or _mentioned(previous, catalogue)
        if not named:
            continue
        movie = named[-1][1]
        if movie.title in prefs.seen or movie.title in prefs.disliked:
            return False, f"accepted {movie.title!r}, which they had seen or disliked"
        if not set(movie.genres) & set(prefs.genres):
            return False, f"accepted {movie.title!r} ({', '.join(movie.genres)}): not their genres"
        return True, f"accepted {movie.title!r} ({', '.join(movie.genres)})"
    return False, "no recommendation was accepted"


async def run_recommendation(
    data: str | Path,
    *,
    user_model: Model,
    target: Participant | None = None,
    limit: int | None = None,
    max_turns: int = 8,
) -> tuple[list[Conversation], dict[str, Any]]:
    """Run one conversation per MovieBot user (``limit`` first) against ``target`` (default:
    the rule-based recommender) and report the success rate."""
    prefs_list = [p for p in load_moviebot_preferences(data) if p.genres][:limit]
    catalogue = [m for m in moviebot_catalogue(data) if m.genres]
    conversations = []
    for i, prefs in enumerate(prefs_list):
        goal = preference_goal(prefs)
        fan = Persona(id=prefs.id, name="User", description="A movie fan.")
        user = gate_user(
            PromptedUser(user_model, goal=goal, profile=fan, config=GenerateConfig(seed=i)),
            RECIPE_VALIDITY,
            goal=goal,
            profile=fan,
        )
        system = target or CatalogueRecommender(catalogue).participant()

        def check(c: Conversation, prefs: MoviePreferences = prefs) -> bool:
            return accepted_recommendation(c, prefs, catalogue)[0]

        conversation = await run_conversation(
            [user, system],
            stop=StopConditions(max_turns=max_turns, goal_check=check),
            conversation_id=f"recommendation-{i}",
            scenario_id=prefs.id,
        )
        mark_simulator_validity(conversation)
        ok, why = accepted_recommendation(conversation, prefs, catalogue)
        conversation.metadata.update(success=ok, check=why, profile_id=prefs.id)
        conversations.append(conversation)
    return conversations, recommendation_report(conversations, prefs_list)


RECIPE_VALIDITY = ValidityOptions(
    detectors=[
        "empty",
        "speaks_as_assistant",
        "instruction_leak",
        "writes_dialogue",
        "echoes_other",
        "repeats_self",
        "off_voice",
    ]
)
"""The validity gate of the recipe's users: the turn-level role detectors (a preference goal
is not a checklist, so ``premature_stop`` and ``invented_constraint`` are off)."""


def recommendation_report(
    conversations: Sequence[Conversation], prefs: Sequence[MoviePreferences]
) -> dict[str, Any]:
    """Success rate (Wilson interval), per user, beside the real MovieBot outcomes; users the
    validity gate flagged ``simulator_invalid`` are reported apart and left out of the rate."""
    valid = [c for c in conversations if not is_simulator_invalid(c)]
    successes = sum(bool(c.metadata.get("success")) for c in valid)
    real = sum(bool(p.accepted) for p in prefs)
    return {
        "recipe": "recommendation",
        "success": estimate(successes, len(valid)),
        "simulator": simulator_validity(conversations),
        "real_acceptance": estimate(real, len(prefs)),
        "users": [
            {
                "user": c.scenario_id,
                "success": c.metadata.get("success"),
                "check": c.metadata.get("check"),
                "turns": len(c.turns),
                "termination": str(c.termination),
            }
            for c in conversations
        ],
    }


def model_recommender(model: Model, catalogue: Sequence[Movie]) -> ModelTarget:
    """A chat model as the recommender, with the catalogue in its system prompt."""
    return ModelTarget(model, system_prompt=catalogue_prompt(catalogue), name="Recommender")
