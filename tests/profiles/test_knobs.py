"""The verbosity knob's mechanical half: a terse persona's long messages are trimmed."""

from __future__ import annotations

from collections.abc import Sequence

from simulacra import Persona, PromptedUser, StopConditions, run_conversation
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.participants._noise import shorten, word_budget
from simulacra.testing import ScriptedParticipant, function_model

LONG = "Hello there, my parcel is late. It was due on Monday and I need it for my daughter's party."


def test_word_budget_only_for_terse_users() -> None:
    assert word_budget(None) is None
    assert word_budget(0.5) is None and word_budget(0.95) is None
    assert word_budget(0.0) == 6 and word_budget(0.3) == 15


def test_shorten_keeps_first_sentence_or_first_words() -> None:
    assert shorten("where is my parcel?", 8) == "where is my parcel?"
    assert shorten(LONG, 8) == "Hello there, my parcel is late."
    assert shorten("one two three, four five six seven eight nine ten", 4) == "one two three, four"


async def _first_message(verbosity: float, enforce: bool = True) -> tuple[str, bool]:
    def reply(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        return LONG

    user = PromptedUser(
        function_model(reply, role="user"),
        goal="get the parcel",
        profile=Persona(behaviour={"verbosity": verbosity}),
        enforce_verbosity=enforce,
    )
    c = await run_conversation(
        [user, ScriptedParticipant(["ok"], id="bot")], stop=StopConditions(max_turns=1)
    )
    return c.turns[0].utterance, bool(c.turns[0].metadata.get("shortened"))


async def test_terse_persona_is_trimmed_and_marked() -> None:
    assert await _first_message(0.05) == ("Hello there, my parcel is late.", True)
    assert await _first_message(0.9) == (LONG, False)
    assert await _first_message(0.05, enforce=False) == (LONG, False)
