"""The goal-state user and its checklists: extraction from structured and free-text goals, what
it says when, when it ends, the style examples and the template fallback; simulator faults left
out of target metrics."""

from __future__ import annotations

import json

import pytest

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.conversation import TerminationReason
from simulacra.evaluation import compute_metrics
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.participants import (
    Checklist,
    GoalStateOptions,
    GoalStateUser,
    StyleBank,
    TaskGoal,
    ValidityOptions,
    extract_checklist,
    gate_user,
    rule_checklist,
)
from simulacra.participants._content import unsaid
from simulacra.participants._style import StyleTurn, acts_to_notes
from simulacra.testing import function_model
from tests.participants._chat import BOT
from tests.participants._chat import Chat as _Chat
from tests.participants._chat import echo_notes as _echo_notes

GOAL = "Book a double room for two nights from 12 to 14 March, for less than 150 EUR a night."
TASK = TaskGoal.parse(
    {
        "id": "g1",
        "description": "hotel in the north with parking",
        "domains": [
            {
                "domain": "hotel",
                "inform": {"area": "north", "parking": "yes"},
                "fail_inform": {"area": "east"},
                "book": {"people": "2", "day": "friday", "stay": "3"},
                "requests": ["phone"],
            }
        ],
    }
)


def test_checklist_from_a_structured_goal() -> None:
    cl = Checklist.from_task(TASK)
    ids = [i.id for i in cl.items]
    assert cl.source == "structured"
    assert ids == [
        "hotel-area",
        "hotel-parking",
        "hotel-book people",
        "hotel-book day",
        "hotel-book stay",
        "hotel-phone?",
        "hotel-booking",
    ]
    area = cl.items[0]
    assert area.values == ("east", "north")  # the value tried first, then its fallback
    said = ["a hotel in the east with parking", "for 2 people on friday, 3 nights"]
    done, total = cl.coverage(said)
    assert (done, total) == (5, 7)
    assert [i.id for i in cl.pending(said)] == ["hotel-phone?", "hotel-booking"]
    assert cl.covered([*said, "please book it and give me the phone number"])


def test_rule_checklist_of_free_text_goals() -> None:
    cl = rule_checklist(GOAL)
    assert cl.source == "rules"
    assert [(i.kind, i.text) for i in cl.items] == [
        ("action", "Book a double room"),
        ("inform", "for two nights"),
        ("inform", "from 12 to 14 March"),
        ("inform", "for less than 150 EUR a night"),
    ]
    other = rule_checklist("Find a cheap Italian restaurant in the centre and ask for its phone.")
    assert [i.kind for i in other.items] == ["action", "inform", "request"]
    assert rule_checklist("  ").source == "none"
    assert rule_checklist("!!!").source == "none"


async def test_llm_checklist_is_grounded_or_falls_back_to_rules() -> None:
    good = json.dumps(
        {
            "constraints": ["two nights", "12 to 14 March"],
            "requests": [],
            "actions": ["book a double room"],
        }
    )
    cl = await extract_checklist(GOAL, function_model(lambda m, c: good))
    assert cl.source == "llm" and [i.kind for i in cl.items] == ["action", "inform", "inform"]
    invented = json.dumps(
        {"constraints": ["sea view"], "requests": [], "actions": ["fly to Paris"]}
    )
    cl = await extract_checklist(GOAL, function_model(lambda m, c: invented))
    assert cl.source == "rules" and cl.notes == ("llm items not grounded in the goal",)
    cl = await extract_checklist(GOAL, function_model(lambda m, c: "not json"))
    assert cl.source == "rules" and cl.notes == ("llm output was not JSON",)


async def test_free_text_user_says_a_little_at_a_time_and_ends_on_confirmation() -> None:
    user = GoalStateUser(function_model(_echo_notes, role="user"), goal=GOAL, style=None)
    chat = _Chat(user)
    first, stop, meta = await chat.turn()
    assert first == "Book a double room | for two nights" and not stop
    assert meta["checklist.source"] == "rules" and meta["verbalised_by"] == "model"
    second, stop, _ = await chat.turn("Sure, which dates?")
    assert second == "from 12 to 14 March | for less than 150 EUR a night" and not stop
    closing, stop, meta = await chat.turn("Your double room is booked, reference ABC123.")
    assert closing and not stop and meta["stop_reason"] == "goal_met"  # the system answers it
    left, stop, meta = await chat.turn("You're welcome, goodbye!")
    assert left == "" and stop and meta["stop_reason"] == "goal_met"


async def test_free_text_user_answers_the_question_that_matches_its_goal() -> None:
    user = GoalStateUser(
        function_model(_echo_notes, role="user"),
        goal=GOAL,
        style=None,
        options=GoalStateOptions(disclosure=1),
    )
    chat = _Chat(user)
    await chat.turn()
    said, _, _ = await chat.turn("Which dates in March would you like?")
    assert said == "from 12 to 14 March"


async def test_free_text_user_gives_up_after_refusals() -> None:
    user = GoalStateUser(function_model(_echo_notes, role="user"), goal=GOAL, style=None)
    chat = _Chat(user)
    await chat.turn()
    _, stop, _ = await chat.turn("Sorry, we have no rooms in March.")
    assert not stop
    _, stop, meta = await chat.turn("Unfortunately we are fully booked.")
    assert not stop and meta["stop_reason"] == "refused"
    left, stop, _ = await chat.turn("I'm sorry to hear that.")
    assert left == "" and stop


async def test_a_goal_without_checklist_still_runs_and_says_so() -> None:
    user = GoalStateUser(function_model(_echo_notes, role="user"), goal="???", style=None)
    said, stop, meta = await _Chat(user).turn()
    assert meta["checklist.source"] == "none" and "???" in str(meta["content"])
    assert not stop and said


async def test_structured_goal_follows_its_agenda_and_ends_from_state() -> None:
    user = GoalStateUser(
        function_model(_echo_notes, role="user"), goal="", task=TASK, seed=3, style=None
    )
    chat = _Chat(user)
    said, stop, meta = await chat.turn()
    assert said.startswith("hotel |") and "acts" in meta and not stop
    early = "Booked for 2 people on friday for 3 nights, reference 7GAB1XQ2."
    said, stop, meta = await chat.turn(early)
    assert "ask: reference" not in said  # a booking before the user gave its details is not taken
    for _ in range(12):
        if "ask: reference number" in said:
            bot = early
        elif "ask: phone number" in said:
            bot = "Their phone number is 01223 353888."
        elif "area" in said:
            bot = "Sorry, nothing in the east. The Acorn is in the north and has free parking."
        else:
            bot = "Okay."
        said, stop, meta = await chat.turn(bot)
        if stop:
            break
    assert stop and meta["stop_reason"] == "goal_met"
    own = [t.utterance for t in chat.c.turns if t.speaker == "user"]
    assert user.covered(own)


async def test_a_requested_slot_stated_in_any_format_counts_as_given() -> None:
    task = TaskGoal.parse(
        {
            "id": "t",
            "domains": [
                {"domain": "taxi", "inform": {"destination": "cafe"}, "requests": ["phone"]}
            ],
        }
    )
    user = GoalStateUser(function_model(_echo_notes, role="user"), goal="", task=task, style=None)
    chat = _Chat(user)
    await chat.turn()
    await chat.turn("Where do you leave from?")
    said, _, meta = await chat.turn("The phone number is 123-456-7890.")
    assert meta["stop_reason"] == "goal_met", said


async def test_template_wording_from_template_after_on() -> None:
    calls: list[int] = []

    def model(messages: list[ChatMessage], config: GenerateConfig) -> str:
        calls.append(1)
        return "Sure, I can help you with that."

    user = GoalStateUser(function_model(model, role="user"), goal=GOAL, style=None)
    view = _Chat(user).view()
    first = await user.respond(view)
    again = await user.regenerate(view, attempt=1, hint="Your previous draft was rejected.")
    last = await user.regenerate(view, attempt=2, hint="Your previous draft was rejected.")
    assert first.metadata["content"] == again.metadata["content"] == last.metadata["content"]
    assert len(calls) == 2 and last.metadata["verbalised_by"] == "template"
    assert last.utterance == "Hi, I'd like to book a double room, for two nights."


async def test_style_examples_are_few_shot_turns_of_real_users() -> None:
    bank = StyleBank(
        [
            StyleTurn(
                "i need a cheap hotel in the north",
                "multiwoz21",
                "first",
                "hotel | price range: cheap | area: north",
            ),
            StyleTurn(
                "can i get a taxi to the station",
                "multiwoz21",
                "first",
                "taxi | destination: station",
            ),
            StyleTurn("thanks, bye", "multiwoz21", "last", "bye"),
        ]
    )
    seen: list[list[ChatMessage]] = []

    def model(messages: list[ChatMessage], config: GenerateConfig) -> str:
        seen.append(messages)
        return "hi, a hotel up north please"

    user = GoalStateUser(
        function_model(model, role="user"),
        goal="",
        task=TASK,
        style=bank,
        options=GoalStateOptions(style_examples=1),
    )
    await user.respond(_Chat(user).view())
    roles = [m.role for m in seen[0]]
    assert roles == ["system", "user", "assistant", "user"]
    assert seen[0][1].content == "Notes: hotel | price range: cheap | area: north"
    assert seen[0][2].content == "i need a cheap hotel in the north"


def test_acts_become_notes() -> None:
    assert (
        acts_to_notes("inform(hotel-area=east);request(hotel-phone)")
        == "hotel | area: east | ask: phone number"
    )
    assert acts_to_notes("inform(hotel-book people=2)") == "hotel | people: 2"
    assert acts_to_notes("bye()") == "bye"


def test_shipped_style_bank_loads_offline() -> None:
    bank = StyleBank.default()
    assert len(bank.turns) > 1000
    demos = bank.demonstrations("hotel | area: north", position="first", k=3, with_notes=True)
    assert len(demos) == 3 and all(d.notes and "hotel" in d.notes for d in demos)


def _conversation(cid: str, invalid: bool | None, ended: TerminationReason) -> Conversation:
    c = Conversation(
        id=cid,
        participants=[
            ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
            BOT,
        ],
        termination=ended,
    )
    c.append(
        Turn(
            speaker="user",
            utterance="hi",
            metadata={
                "validity.invalid": bool(invalid),
                **({"validity.reasons": "speaks_as_assistant"} if invalid else {}),
            },
        )
    )
    c.append(Turn(speaker="assistant", utterance="hello"))
    if invalid is not None:
        c.metadata["simulator_invalid"] = invalid
    return c


@pytest.mark.parametrize("exclude", [True, False])
def test_simulator_faults_are_not_target_failures(exclude: bool) -> None:
    convs = [
        _conversation("a", False, TerminationReason.GOAL_REACHED),
        _conversation("b", False, TerminationReason.GOAL_REACHED),
        _conversation("c", True, TerminationReason.MAX_TURNS),
    ]
    report = compute_metrics(convs, metrics=["success"], exclude_invalid=exclude)
    success = report.values["success"].value
    assert report.simulator is not None
    assert report.simulator["invalid"] == 1 and report.simulator["gated"] == 3
    assert report.simulator["reasons"] == {"speaks_as_assistant": 1}
    if exclude:
        assert success == 1.0 and report.excluded == ["c"]
    else:
        assert success == pytest.approx(2 / 3) and report.excluded == []


def test_requests_answered_unasked_and_bookings_made_are_obtained() -> None:
    cl = Checklist.from_task(TASK)
    said = ["a hotel in the east with parking", "for 2 people on friday, 3 nights"]
    assert [i.id for i in cl.pending(said)] == ["hotel-phone?", "hotel-booking"]
    told = ["Booked! Your reference number is 7GAB1XQ2.", "Their phone number is 01223 353888."]
    assert cl.pending(said, told) == [] and cl.coverage(said, told) == (7, 7)
    # a question is not an answer, and constraints are only ever the user's to state
    assert [i.id for i in cl.pending(said, ["What phone number should I use?"])] == [
        "hotel-phone?",
        "hotel-booking",
    ]
    assert [i.id for i in cl.pending([], told)][:2] == ["hotel-area", "hotel-parking"]


async def test_constraints_lost_in_the_wording_are_said_before_ending() -> None:
    task = TaskGoal.parse(
        {
            "id": "t",
            "domains": [
                {
                    "domain": "hotel",
                    "inform": {"type": "guesthouse", "area": "north", "parking": "yes"},
                    "requests": ["phone"],
                }
            ],
        }
    )
    dropped: list[str] = []

    def lossy(messages: list[ChatMessage], config: GenerateConfig) -> str:
        """Words the notes but loses the guesthouse the first time (as a paraphrase can)."""
        notes = _echo_notes(messages, config)
        if "type: guesthouse" in notes and not dropped:
            dropped.append(notes)
            return "hotel | a place to stay"
        return notes

    user = GoalStateUser(
        function_model(lossy, role="user"),
        goal="",
        task=task,
        style=None,
        options=GoalStateOptions(disclosure=1),
    )
    chat = _Chat(user)
    await chat.turn()
    offer = "The Acorn is in the north with free parking. Its phone is 01223 353888."
    metas: list[dict[str, object]] = []
    stop = False
    for _ in range(6):
        _, stop, meta = await chat.turn(offer)
        metas.append(meta)
        if stop:
            break
    own = [t.utterance for t in chat.c.turns if t.speaker == "user"]
    assert stop and metas[-1]["stop_reason"] == "goal_met"
    assert any(m.get("late_constraints") for m in metas[:-1])
    assert user.checklist.covered(own, [offer])  # the phone was given, not asked for


async def test_an_unplanned_name_question_gets_a_name() -> None:
    user = GoalStateUser(function_model(_echo_notes, role="user"), goal=GOAL, style=None)
    chat = _Chat(user)
    await chat.turn()
    await chat.turn("Sure, which dates?")
    chat.c.append(Turn(speaker="assistant", utterance="Please provide the guest's name."))
    reply = await user.regenerate(chat.view(), attempt=2, hint="")
    assert reply.utterance == "It's Alex Morgan."  # the template wording, from template_after on
    assert "Please provide the guest's name." in str(reply.metadata["content"])
    assert not reply.stop


async def test_a_structured_turn_records_what_it_must_say_and_the_gate_holds_it_to_it() -> None:
    """The plan's values go into ``content.says``; a wording that drops one is regenerated
    and, from ``template_after`` on, a real user's wording of the same acts or the template (each
    states every value) is used."""
    outputs = iter(["yes, please.", "sounds good!"])

    def model(messages: list[ChatMessage], config: GenerateConfig) -> str:
        return next(outputs, "ok")

    user = GoalStateUser(function_model(model, role="user"), goal="", task=TASK, seed=3, style=None)
    gated = gate_user(user, ValidityOptions(), goal="", task=TASK)
    reply = await gated.respond(_Chat(user).view())
    says = str(reply.metadata["content.says"]).split(" | ")
    assert says and set(says) <= {"north", "parking", "2", "friday", "3"}
    assert reply.metadata["validity.rejected"] == "drops_content"
    assert reply.metadata["verbalised_by"] in ("real_wording", "template")
    assert reply.metadata["validity.invalid"] is False
    assert unsaid(reply.utterance, says) == []


async def test_an_assistant_style_opener_becomes_a_customer_s_yes() -> None:
    user = GoalStateUser(
        function_model(lambda m, c: "Sure, book it for friday please.", role="user"),
        goal=GOAL,
        style=None,
    )
    chat = _Chat(user)
    await chat.turn()
    said, _, _ = await chat.turn("Shall I book it?")
    assert said == "yes, book it for friday please."
