from __future__ import annotations

import pytest

from simulacra import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    Persona,
    TerminationReason,
    Turn,
)


def _conv() -> Conversation:
    return Conversation(
        participants=[
            ParticipantInfo(
                id="u",
                name="Maya",
                kind=ParticipantKind.SIMULATED_HUMAN,
                profile=Persona(name="Maya", attributes={"age": 34, "likes": ["tea"]}),
            ),
            ParticipantInfo(id="a", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
            ParticipantInfo(id="b", name="Bob", kind=ParticipantKind.SIMULATED_HUMAN),
        ]
    )


def test_json_round_trip_keeps_everything() -> None:
    c = _conv()
    c.append(Turn(speaker="u", utterance="hi", reasoning="be brief"))
    c.termination = TerminationReason.MAX_TURNS
    again = Conversation.model_validate_json(c.model_dump_json())
    assert again == c
    assert again.schema_version == 1
    assert isinstance(again.participants[0].profile, Persona)
    assert again.participants[0].profile.attributes["likes"] == ["tea"]


def test_view_flips_roles_and_keeps_names() -> None:
    c = _conv()
    c.append(Turn(speaker="u", utterance="hello"))
    c.append(Turn(speaker="a", utterance="hi Maya"))
    c.append(Turn(speaker="b", utterance="hey all"))
    view = c.view_for("a")
    assert [(m.role, m.name) for m in view.messages] == [
        ("user", "Maya"),
        ("assistant", "Assistant"),
        ("user", "Bob"),
    ]
    assert [p.id for p in view.others] == ["u", "b"]
    assert view.turn_index == 3
    assert c.view_for("u").messages[0].role == "assistant"
    assert "Bob: hey all" in view.transcript()


def test_hidden_reasoning_is_not_in_views() -> None:
    c = _conv()
    c.append(Turn(speaker="u", utterance="hello", reasoning="SECRET"))
    assert "SECRET" not in repr(c.view_for("a"))


def test_append_unknown_speaker_is_refused() -> None:
    with pytest.raises(KeyError):
        _conv().append(Turn(speaker="nobody", utterance="x"))


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValueError):
        Turn.model_validate({"speaker": "u", "utterance": "x", "colour": "red"})


def test_error_reasons() -> None:
    assert TerminationReason.TARGET_ERROR.is_error
    assert TerminationReason.INFRASTRUCTURE_ERROR.is_error
    assert not TerminationReason.USER_STOP.is_error


def test_incremental_views_are_snapshots_and_follow_edits() -> None:
    c = _conv()
    c.append(Turn(speaker="u", utterance="hello"))
    first = c.view_for("a")
    c.append(Turn(speaker="a", utterance="hi Maya"))
    second = c.view_for("a")
    # A view handed out earlier is never changed by later turns.
    assert [m.content for m in first.messages] == ["hello"]
    assert [(m.role, m.content) for m in second.messages] == [
        ("user", "hello"),
        ("assistant", "hi Maya"),
    ]
    assert [m.role for m in c.view_for("u").messages] == ["assistant", "user"]
    second.messages.append(second.messages[0])  # a caller mutating its copy changes nothing
    assert len(c.view_for("a").messages) == 2
    # Replaced, truncated or edited history is rebuilt, not served stale.
    c.turns = [Turn(speaker="b", utterance="fresh")]
    assert [(m.name, m.content) for m in c.view_for("a").messages] == [("Bob", "fresh")]
    c.turns.pop()
    assert c.view_for("a").messages == []
    c.append(Turn(speaker="u", utterance="one"))
    c.view_for("a")
    c.turns[-1] = Turn(speaker="u", utterance="two")
    assert c.view_for("a").messages[0].content == "two"
    c.participants[0].name = "May"
    assert c.view_for("a").messages[0].name == "May"
    # The cache never changes equality, copies or JSON.
    again = Conversation.model_validate_json(c.model_dump_json())
    assert again == c and again.view_for("a").messages == c.view_for("a").messages
