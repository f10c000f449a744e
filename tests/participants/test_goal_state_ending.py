"""When the goal-state user ends and what it reads: a system stuck on one answer is left (and
that is the system's failure, not a premature stop), a list-formatted reply still answers a
request, the first booking detail says the user wants a booking."""

from __future__ import annotations

from simulacra import Conversation, ParticipantInfo, ParticipantKind
from simulacra.evaluation import role_violation
from simulacra.participants import (
    Checklist,
    GoalStateOptions,
    GoalStateUser,
    StyleBank,
    TaskGoal,
    ValidityGate,
    ValidityOptions,
)
from simulacra.participants._content import COPIED_KEY, unsaid
from simulacra.participants._protocol import Reply
from simulacra.participants._validity import failed, refused, stuck
from simulacra.testing import function_model
from tests.participants._chat import BOT
from tests.participants._chat import Chat as _Chat
from tests.participants._chat import echo_notes as _echo_notes

TAXI = TaskGoal.parse(
    {
        "id": "taxi",
        "domains": [
            {
                "domain": "taxi",
                "inform": {"destination": "the dojo noodle bar", "leave at": "07:00"},
                "requests": ["car type", "phone"],
            }
        ],
    }
)
TRAIN = TaskGoal.parse(
    {
        "id": "train",
        "domains": [
            {
                "domain": "train",
                "inform": {"destination": "cambridge", "day": "sunday"},
                "book": {"people": "3"},
            }
        ],
    }
)
# a reply the way a chat model formats it: a markdown list of labelled values
LISTED = (
    "Sure! Here's a taxi option that fits your criteria:\n\n**Taxi Details:**\n"
    "- **Company:** Cambridge City Taxi\n- **Pickup:** 07:00 AM\n"
    "- **Car Type:** Sedan\n- **Phone Number:** 123-456-7890"
)


async def _until_closing(chat: _Chat) -> tuple[str, bool, dict[str, object]]:
    for _ in range(6):
        text, stop, meta = await chat.turn(LISTED)
        if meta.get("stop_reason"):
            return text, stop, meta
    raise AssertionError("the user never closed")


def _user(task: TaskGoal) -> GoalStateUser:
    return GoalStateUser(
        function_model(_echo_notes, role="user"),
        goal="",
        task=task,
        style=None,
        options=GoalStateOptions(disclosure=2),
    )


def test_stuck_is_a_repeat_of_one_of_the_two_turns_before() -> None:
    a = "Cambridge East Guesthouse - 5 star rating, located in the heart of the city."
    b = "Cambridge East Hotel - 2 star rating, near the station, with free parking."
    c = "The phone number is 01223 123456."
    assert stuck([a, a]) and stuck([a, b, a]) and stuck([c, a, b, a])
    assert not stuck([a]) and not stuck([a, b]) and not stuck([a, b, c]) and not stuck([a, c, b])
    assert failed([b, a, a]) and not failed([a, b, c])


async def test_a_system_stuck_twice_in_a_row_is_left_and_that_is_its_failure() -> None:
    chat = _Chat(_user(TAXI))
    await chat.turn()
    same = "Cambridge TownInfo recommends a taxi. Please tell me more about your trip."
    ended: list[tuple[int, dict[str, object]]] = []
    for k in range(8):
        _, _, meta = await chat.turn(same)
        if meta.get("stop_reason"):
            ended.append((k, meta))
            break
    assert ended, "the user never left a system that repeats itself"
    k, meta = ended[0]
    assert k == 2 and meta["stop_reason"] == "patience"  # at the second repeat, not later
    others = [t.utterance for t in chat.c.turns if t.speaker == "assistant"]
    assert failed(others)  # the audit and the gate read it as the system failing the user


async def test_a_satisfied_user_still_ends_with_its_goal_met_when_the_system_repeats() -> None:
    chat = _Chat(_user(TAXI))
    await chat.turn()
    reasons = []
    for _ in range(6):
        _, _, meta = await chat.turn(LISTED)
        if meta.get("stop_reason"):
            reasons.append(meta["stop_reason"])
            break
    assert reasons == ["goal_met"]


def test_a_markdown_list_answers_requests() -> None:
    cl = Checklist.from_task(TAXI)
    pending = {i.id for i in cl.pending(["a taxi to the dojo noodle bar at 07:00"], [LISTED])}
    assert "taxi-car type?" not in pending and "taxi-phone?" not in pending
    plain = "Sure! Here's a taxi option that fits your criteria."
    pending = {i.id for i in cl.pending(["a taxi to the dojo noodle bar at 07:00"], [plain])}
    assert {"taxi-car type?", "taxi-phone?"} <= pending


async def test_a_listed_reply_is_read_and_the_request_is_not_asked_again() -> None:
    chat = _Chat(_user(TAXI))
    _first, _, _ = await chat.turn()
    _text, _, meta = await chat.turn(LISTED)
    assert "car type" not in str(meta.get("acts", "")), meta


async def test_the_first_booking_detail_says_the_user_wants_a_booking() -> None:
    chat = _Chat(_user(TRAIN))
    booked: list[dict[str, object]] = []
    _, _, meta = await chat.turn()
    for _ in range(6):
        if "-book " in str(meta.get("acts", "")):
            booked.append(meta)
            break
        _text, stop, meta = await chat.turn("TR1234 leaves at 09:15 on sunday for cambridge.")
        if stop:
            break
    assert booked, "the booking detail was never said"
    says = str(booked[0]["content.says"]).split(" | ")
    assert "booking" in says and "3" in says
    assert "book it" in str(booked[0]["content"])
    mine = ["3", "booking"]
    assert unsaid("There will be 3 of us.", mine) == ["booking"]
    assert unsaid("Please book it for 3 people.", mine) == []
    assert unsaid("Can I reserve seats for three?", mine) == []


def test_assistant_phrasings_of_a_goodbye_are_role_slips() -> None:
    slips = [
        "i'm sorry, but i'm unable to assist you with that. bye.",
        "thanks, i'm glad you found it helpful. goodbye!",
        "Happy to help!",
        "i'm sorry about that. any other questions?",
        "I'm sorry to hear that. If you have any other questions, don't hesitate to ask. Bye!",
        "i can help with that. what kind of car do you prefer?",
    ]
    assert all(role_violation(t) == "speaks_as_assistant" for t in slips)
    customers = [
        "I'm glad to hear that, thanks.",
        "thank you. i'll let you know if anything else comes up. bye.",
        "I'd be happy with any of them.",
    ]
    assert all(role_violation(t) is None for t in customers)


def test_a_system_saying_there_is_none_has_refused() -> None:
    assert refused(["There are no Indian restaurants in the north."])
    assert refused(["I looked, but none of them have free parking."])
    assert not refused(["There are no problems with that, it's booked."])
    assert not refused(["There is no charge for parking."])


def test_a_car_type_stated_in_a_longer_sentence_is_given() -> None:
    cl = Checklist.from_task(TAXI)
    said = ["a taxi to the dojo noodle bar at 07:00"]
    pending = {i.id for i in cl.pending(said, ["The car type you prefer is a black car."])}
    assert "taxi-car type?" not in pending
    pending = {i.id for i in cl.pending(said, ["Which car type would you like?"])}
    assert "taxi-car type?" in pending


async def test_the_other_side_gets_the_last_word_and_anything_else_gets_a_no() -> None:
    chat = _Chat(_user(TAXI))
    await chat.turn()
    closing, stop, meta = await _until_closing(chat)
    assert closing and not stop and meta["stop_reason"] == "goal_met"
    again, stop, meta = await chat.turn("You're welcome! Is there anything else I can do?")
    assert again and not stop and "no" in str(meta["content"])
    left, stop, meta = await chat.turn("Have a nice day! Anything else?")
    assert left == "" and stop and meta["stop_reason"] == "goal_met"  # "no" only once


async def test_with_last_word_user_the_closing_ends_the_conversation() -> None:
    user = GoalStateUser(
        function_model(_echo_notes, role="user"),
        goal="",
        task=TAXI,
        style=None,
        options=GoalStateOptions(disclosure=2, last_word="user"),
    )
    chat = _Chat(user)
    await chat.turn()
    closing, stop, meta = await _until_closing(chat)
    assert closing and stop and meta["stop_reason"] == "goal_met"


async def test_a_free_text_turn_must_convey_its_items() -> None:
    goal = "Book a double room for two nights from 12 to 14 March, for less than 150 EUR a night."
    user = GoalStateUser(function_model(_echo_notes, role="user"), goal=goal, style=None)
    chat = _Chat(user)
    _, _, meta = await chat.turn()
    says = str(meta["content.says"]).split(" | ")
    assert says == ["phrase Book a double room", "phrase for two nights"]
    assert unsaid("What's your preferred date range?", says) == says
    assert unsaid("Can you book me a double room for 2 nights?", says) == []


def test_quick_start_slips_are_caught() -> None:
    assert role_violation("What's your preferred date range?") == "speaks_as_assistant"
    assert role_violation("can you let me know what day and time you need the room?") == (
        "speaks_as_assistant"
    )
    assert role_violation("Okay, how much are you prepared to pay?") == "speaks_as_assistant"
    assert role_violation("I can get you the rates and details.") == "speaks_as_assistant"
    assert role_violation("Let me clarify what the notes say again: a double room") == (
        "instruction_leak"
    )
    for customer in ("My preferred date is friday.", "What time do I need to check out?"):
        assert role_violation(customer) is None


def test_another_user_s_details_taken_from_a_style_example_are_invented() -> None:
    bank = StyleBank.default()
    examples = ["I need a room at the huntingdon marriott hotel please", "That sounds great."]
    allowed = "Book a double room | Book a double room for two nights"
    copied = bank.copied("Book a double room at the huntingdon marriott hotel.", examples, allowed)
    assert "huntingdon marriott" in copied
    assert bank.copied("That sounds great, book a double room.", examples, allowed) == []
    assert bank.copied("A room at the huntingdon marriott.", examples, "huntingdon marriott") == []


async def test_the_gate_rejects_a_turn_that_copied_an_example_s_details() -> None:
    gate = ValidityGate(ValidityOptions())
    me = ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN)
    view = Conversation(participants=[me, BOT]).view_for("user")
    clean = Reply(utterance="A double room, please.", metadata={})
    copied = Reply(
        utterance="A double room at the huntingdon marriott.",
        metadata={COPIED_KEY: "huntingdon marriott"},
    )
    assert not gate.check(clean, view)
    assert [f.detector for f in gate.check(copied, view)] == ["invented_constraint"]


async def test_a_go_ahead_answered_without_a_refusal_is_thanked_not_asked_again() -> None:
    goal = "Book a double room for two nights."
    user = GoalStateUser(function_model(_echo_notes, role="user"), goal=goal, style=None)
    chat = _Chat(user)
    await chat.turn()
    asked, _, _ = await chat.turn("Sure, a double room for two nights is available.")
    assert asked.startswith("ask: go ahead")
    closing, _, meta = await chat.turn("Sure, I'll go ahead.")
    assert meta["stop_reason"] == "goal_met" and not closing.startswith("ask:")
