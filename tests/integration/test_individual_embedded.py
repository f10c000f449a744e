"""An imported individual talks on the real embedded (tiny) model, with memories retrieved."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra import ModelTarget, PromptedUser, StopConditions, get_model, run_conversation
from simulacra.profiles import import_history

pytestmark = pytest.mark.embedded

DATA = Path(__file__).resolve().parents[2] / "examples" / "data"


async def test_imported_individual_on_the_tiny_model(tiny_gguf: str) -> None:
    result = import_history(
        [DATA / "sam_chats.jsonl", DATA / "sam_notes.md"], person="sam", name="Sam", memory_k=2
    )
    sam = result.individual
    user = PromptedUser(
        get_model({"model": "embedded:tiny", "max_tokens": 24, "seed": 3}, role="user"),
        goal="Buy two tickets for a jazz concert near a metro station this weekend.",
        profile=sam,
    )
    target = ModelTarget(
        get_model({"model": "embedded:tiny", "max_tokens": 24, "seed": 3}, role="target"),
        system_prompt="You sell concert tickets in Lisbon. The jazz trio plays Saturday.",
    )
    c = await run_conversation([user, target], stop=StopConditions(max_turns=4))
    await user.model.aclose()
    await target.model.aclose()
    assert c.termination is not None and not c.termination.is_error, (c.termination, c.error)
    user_turns = [t for t in c.turns if t.speaker == "user"]
    assert user_turns
    known = {m.id for m in sam.memories}
    first_ids = str(user_turns[0].metadata["memory_ids"]).split(",")
    # the goal mentions jazz and a metro station: those memories are recalled on the first turn
    assert set(first_ids) <= known and "m3" in first_ids, first_ids
    remembered = {m.id: m.text for m in sam.memories}
    user_calls = [call for call in c.model_calls if call["role"] == "user"]
    first_prompt = user_calls[0]["messages"][-1]["content"]
    assert "Things you remember that may matter now:" in first_prompt
    assert all(f"- {remembered[i]}" in first_prompt for i in first_ids)
    assert "user/transcript_turn@8" in user_calls[0]["templates"]
    # nothing personal that was redacted reaches the model
    assert all("sam.costa@example.com" not in str(call["messages"]) for call in c.model_calls)
