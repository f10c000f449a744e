from __future__ import annotations

import json

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Persona, PromptedUser, Turn
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.participants import HTTPTarget, ModelTarget, clean_utterance
from simulacra.testing import FakeOpenAIServer, FakeResponse, function_model


def _conversation() -> Conversation:
    c = Conversation(
        participants=[
            ParticipantInfo(id="user", name="Maya", kind=ParticipantKind.SIMULATED_HUMAN),
            ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
        ]
    )
    c.append(Turn(speaker="user", utterance="I need a room"))
    c.append(Turn(speaker="assistant", utterance="Which dates?"))
    return c


def _echo_model(text: str = "12 to 14 March please"):  # type: ignore[no-untyped-def]
    seen: list[tuple[list[ChatMessage], GenerateConfig]] = []

    def fn(messages, config):  # type: ignore[no-untyped-def]
        seen.append((list(messages), config))
        return text

    return function_model(fn, role="user"), seen


async def test_transcript_prompting_never_shows_the_bot_as_user() -> None:
    model, seen = _echo_model()
    user = PromptedUser(model, goal="book a room", profile=Persona(name="Maya"))
    reply = await user.respond(_conversation().view_for("user"))
    assert reply.utterance == "12 to 14 March please"
    messages, config = seen[0]
    assert [m.role for m in messages] == ["system", "user"]
    assert "book a room" in messages[0].content and "You are Maya" in messages[0].content
    assert "You: I need a room\nAssistant: Which dates?" in messages[1].content
    assert 'Write only your next message (what "You" say next)' in messages[1].content
    # the stop rule is offered only once the assistant has answered
    assert "###STOP###" in messages[1].content and "###STOP###" not in messages[0].content
    assert config.stop == ["\nAssistant:"]
    assert reply.model_calls[0].role == "user"


async def test_no_stop_rule_before_the_user_has_spoken() -> None:
    model, seen = _echo_model()
    user = PromptedUser(model, goal="book a room")
    empty = Conversation(participants=_conversation().participants)
    await user.respond(empty.view_for("user"))
    assert all("###STOP###" not in m.content for m in seen[0][0])


async def test_transcript_prefix_is_stable_across_turns() -> None:
    model, seen = _echo_model()
    user = PromptedUser(model, goal="g")
    c = _conversation()
    await user.respond(c.view_for("user"))
    c.append(Turn(speaker="user", utterance="12 to 14 March please"))
    c.append(Turn(speaker="assistant", utterance="Booked."))
    await user.respond(c.view_for("user"))
    first, second = seen[0][0][1].content, seen[1][0][1].content
    head = first[: first.index("Which dates?") + len("Which dates?")]
    assert second.startswith(head)


async def test_chat_prompting_flips_roles() -> None:
    model, seen = _echo_model()
    user = PromptedUser(model, goal="g", prompting="chat")
    await user.respond(_conversation().view_for("user"))
    messages = seen[0][0]
    # own turns become assistant messages; a kickoff cue keeps the user-first chat shape
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2].content == "I need a room"


async def test_stop_sentinel_and_label_cleanup() -> None:
    model, _ = _echo_model('Maya: "Thanks, that is all." ###STOP###')
    reply = await PromptedUser(model, goal="g", profile=Persona(name="Maya")).respond(
        _conversation().view_for("user")
    )
    assert reply.stop and reply.utterance == "Thanks, that is all."


async def test_garbled_stop_sentinels_still_stop() -> None:
    for garbled in ("### STOP###", "##STOP", "Thanks! ###STOP ###"):
        model, _ = _echo_model(garbled)
        reply = await PromptedUser(model, goal="g").respond(_conversation().view_for("user"))
        assert reply.stop, garbled
        assert "STOP" not in reply.utterance and "#" not in reply.utterance


async def test_hidden_reasoning_is_parsed_out_of_json() -> None:
    model, seen = _echo_model(json.dumps({"thought": "ask price", "message": "How much is it?"}))
    reply = await PromptedUser(model, goal="g", reasoning=True).respond(
        _conversation().view_for("user")
    )
    assert reply.utterance == "How much is it?" and reply.reasoning == "ask price"
    assert seen[0][1].json_schema is not None


def test_clean_utterance_cuts_continued_transcript() -> None:
    text = "Two nights.\nAssistant: Great, booked!\nMaya: thanks"
    assert clean_utterance(text, name="Maya", other_names=["Assistant"]) == "Two nights."
    text = "Assistant: Which dates?\nYou: 12 to 14 March\nAssistant: ok"
    assert clean_utterance(text, name="Maya", other_names=["Assistant"]) == "12 to 14 March"
    # no line of ours: left as it is (and flagged by the role-adherence detector)
    text = "Assistant: Let me check."
    assert clean_utterance(text, name="Maya", other_names=["Assistant"]) == text


async def test_model_target_uses_its_system_prompt() -> None:
    model, seen = _echo_model("Which dates?")
    target = ModelTarget(model, system_prompt="You sell rooms.")
    c = _conversation()
    c.turns.pop()
    reply = await target.respond(c.view_for("assistant"))
    assert reply.utterance == "Which dates?"
    assert [(m.role, m.content) for m in seen[0][0]] == [
        ("system", "You sell rooms."),
        ("user", "I need a room"),
    ]


async def test_http_target_maps_request_and_response() -> None:
    def answer(req):  # type: ignore[no-untyped-def]
        return FakeResponse(200, {"data": {"text": f"echo {req['q']} {len(req['h'])}"}})

    with FakeOpenAIServer(answer) as srv:
        target = HTTPTarget(
            srv.base_url + "/bot",
            request_template={"q": "{message}", "h": "{history}", "sid": "{session_id}"},
            response_path="data.text",
        )
        c = _conversation()
        reply = await target.respond(c.view_for("assistant"))
        await target.respond(c.view_for("assistant"))
        await target.aclose()
    assert reply.utterance == "echo Which dates? 2"
    assert srv.requests[0]["sid"] == srv.requests[1]["sid"]
