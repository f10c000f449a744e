"""Real users' wordings of dialogue acts: building the bank, filling it, and the goal-state
user's fallback turn that uses it."""

from __future__ import annotations

import random
import re
from pathlib import Path

from simulacra.datasets import import_corpus
from simulacra.evaluation._fidelity_classifier import surface_text
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.participants import GoalStateUser, TaskGoal, ValidityOptions, gate_user
from simulacra.participants._content import unsaid
from simulacra.participants._goal_state import GoalStateOptions
from simulacra.participants._real_wording import RealWording, delexicalise, wording_key
from simulacra.scenarios import DialogueAct, parse_acts
from simulacra.testing import function_model
from tests.participants._chat import Chat

VAL = Path(__file__).resolve().parents[3] / "shared/data/multiwoz21/val.json.zip"
KNOWN = frozenset({"cheap", "north", "indian", "museum", "friday"})


def _acts(text: str) -> list[DialogueAct]:
    return parse_acts(text)


def test_values_become_slot_markers() -> None:
    acts = _acts("inform(restaurant-food=italian);inform(restaurant-area=centre)")
    out = delexicalise("I want Italian food in the centre please.", acts, KNOWN)
    assert out == "I want [food] food in the [area] please."


def test_a_turn_that_says_more_than_its_acts_is_not_a_wording() -> None:
    area = _acts("inform(restaurant-area=centre)")
    assert delexicalise("A cheap place in the centre.", area, KNOWN) is None  # known value
    assert delexicalise("For 4 people in the centre.", area, KNOWN) is None  # a number
    assert delexicalise("The same area, the centre.", area, KNOWN) is None  # earlier context
    assert delexicalise("Near Pizza Hut in the centre.", area, KNOWN) is None  # a name
    assert delexicalise("Somewhere in the north.", area, KNOWN) is None  # value not said
    assert delexicalise("No, the centre.", area, KNOWN) is None  # a "no" to something unseen
    guesthouse = _acts("inform(hotel-type=guesthouse)")
    # a val turn annotated as a hotel type that asks about restaurants: another domain's word
    assert delexicalise("Any diners by the guesthouse?", guesthouse, KNOWN) is None
    assert delexicalise("A guesthouse, please.", guesthouse, KNOWN) == "A [type], please."
    dontcare = _acts("inform(restaurant-area=dontcare)")
    assert delexicalise("No preference on the area.", dontcare, KNOWN) is not None
    assert delexicalise("Thanks, bye.", _acts("bye(general-)"), KNOWN) is None


def test_requests_and_yes_no_values_are_kept_in_the_key() -> None:
    acts = _acts("inform(hotel-parking=yes);request(hotel-phone)")
    assert delexicalise("Free parking, and the phone number?", acts, KNOWN) is not None
    assert wording_key(acts, "same") == "same|inform:hotel:parking=yes;request:hotel:phone"


BANK = RealWording(
    {
        "first|inform:restaurant:area;inform:restaurant:food": [
            "I want a [food] place in the [area]."
        ],
        "same|inform:hotel:area": ["Yes, in the [area] please."],
        "same|request:hotel:phone": ["What's their number?"],
        "same|inform:hotel:book people": [
            "For [book people].",
            "Book it for [book people] please.",
        ],
    }
)


def test_a_wording_is_filled_with_the_values_at_hand_and_its_article_fits() -> None:
    acts = _acts("inform(restaurant-food=indian);inform(restaurant-area=east)")
    said = BANK.word(acts, "first", random.Random(0), question=False)
    assert said == "I want an indian place in the east."


def test_an_answer_opening_is_cut_when_nothing_was_asked() -> None:
    acts = _acts("inform(hotel-area=north)")
    assert BANK.word(acts, "same", random.Random(0), question=True) == "Yes, in the north please."
    assert BANK.word(acts, "same", random.Random(0), question=False) == "In the north please."


def test_informs_and_requests_are_joined_when_no_turn_does_both() -> None:
    acts = _acts("inform(hotel-area=north);request(hotel-phone)")
    said = BANK.word(acts, "same", random.Random(0), question=False)
    assert said == "In the north please. What's their number?"
    assert BANK.word(_acts("request(hotel-postcode)"), "same", random.Random(0)) is None
    assert BANK.word(acts, "first", random.Random(0)) is None  # placement is part of the key


def test_constraints_and_booking_details_are_worded_apart_when_no_turn_does_both() -> None:
    bank = RealWording(
        {
            "same|inform:hotel:area": ["In the [area] please."],
            "same|inform:hotel:book people": ["Book it for [book people]."],
            "same|inform:hotel:stars": ["[stars] stars."],
        }
    )
    acts = _acts("inform(hotel-area=north);inform(hotel-book people=2)")
    assert bank.word(acts, "same", random.Random(0), book=True) == (
        "In the north please. Book it for 2."
    )
    two = _acts("inform(hotel-area=north);inform(hotel-stars=4)")
    assert bank.word(two, "same", random.Random(0)) == "In the north please. 4 stars."


def test_a_wording_the_user_already_sent_is_not_sent_again() -> None:
    acts = _acts("inform(hotel-book people=3)")
    first = BANK.word(acts, "same", random.Random(0))
    assert first is not None
    for seed in range(10):
        again = BANK.word(acts, "same", random.Random(seed), avoid=[first.upper()])
        assert again is not None and again != first
    both = ["For 3.", "Book it for 3 please."]
    assert BANK.word(acts, "same", random.Random(0), avoid=both) is None


def test_closings_come_from_real_last_turns_and_fit_the_notes() -> None:
    bank = RealWording.default()
    for seed in range(20):
        thanks = bank.closing("thanks", random.Random(seed))
        assert thanks and "thank" in thanks.lower() and not re.match(r"(?i)no\b", thanks)
        assert not re.search(r"(?i)\b(good)?bye\b", thanks)
        no_more = bank.closing("no, that's all | thanks", random.Random(seed))
        assert no_more and re.match(r"(?i)(no|nope|that'?s|that is)\b", no_more)
        bye = bank.closing("thanks | bye", random.Random(seed))
        assert bye and re.search(r"(?i)\b(bye|goodbye|good ?night|have a)", bye)
    assert bank.closing("never mind | thanks anyway", random.Random(0)) is None
    assert len(bank.wordings["close|thank"]) > 100


def test_a_booking_wording_must_say_book() -> None:
    acts = _acts("inform(hotel-book people=3)")
    for seed in range(10):
        said = BANK.word(acts, "same", random.Random(seed), book=True)
        assert said == "Book it for 3 please."


def test_the_shipped_bank_is_from_val_and_its_markers_match_its_keys() -> None:
    bank = RealWording.default()
    assert bank.source == "user_wording/2"
    assert sum(len(v) for v in bank.wordings.values()) > 1500
    for key, texts in bank.wordings.items():
        if key.startswith("close|"):
            continue
        slots = {part.split(":")[2].split("=")[0] for part in key.split("|")[1].split(";")}
        informed = {
            part.split(":")[2]
            for part in key.split("|")[1].split(";")
            if part.startswith("inform") and "=" not in part
        }
        for text in texts:
            markers = set(re.findall(r"\[([a-z ]+)\]", text))
            assert markers == informed and markers <= slots, (key, text)


def test_real_val_turns_round_trip_through_the_bank() -> None:
    """Filling a shipped wording with the values of the val turn it came from gives that turn."""
    bank = RealWording.default()
    every = {t for texts in bank.wordings.values() for t in texts}
    checked = 0
    for conv in import_corpus("multiwoz21", VAL):
        for turn in conv.turns:
            if turn.speaker != "user" or checked >= 50:
                continue
            try:
                acts = parse_acts(str(turn.metadata.get("acts") or ""))
            except ValueError:
                continue
            text = surface_text(turn.utterance.strip())
            wording = delexicalise(text, acts, frozenset())
            if wording is None or wording not in every:
                continue
            values = {a.slot: a.value for a in acts if a.intent == "inform"}
            filled = re.sub(r"\[([a-z ]+)\]", lambda m, v=values: v[m.group(1)], wording)
            assert filled.lower() == text.lower()
            checked += 1
    assert checked == 50


TASK = TaskGoal.parse(
    {
        "id": "g1",
        "description": "a cheap restaurant in the north",
        "domains": [
            {"domain": "restaurant", "inform": {"area": "north", "price range": "cheap"}},
        ],
    }
)


def _as_assistant(messages: list[ChatMessage], config: GenerateConfig) -> str:
    return "Sure, I can help you with that. What area would you like?"


async def test_the_fallback_turn_of_a_structured_goal_is_a_real_user_s_wording() -> None:
    user = GoalStateUser(function_model(_as_assistant, role="user"), goal="", task=TASK, style=None)
    gated = gate_user(user, ValidityOptions(), goal="", task=TASK)
    reply = await gated.respond(Chat(user).view())
    assert reply.metadata["verbalised_by"] == "real_wording"
    assert reply.metadata["validity.invalid"] is False
    says = str(reply.metadata["content.says"]).split(" | ")
    assert unsaid(reply.utterance, says) == []
    every = {t for texts in RealWording.default().wordings.values() for t in texts}
    values = {"north": "[area]", "cheap": "[price range]"}
    said = reply.utterance
    for value, marker in sorted(values.items(), key=lambda kv: -len(kv[0])):
        said = re.sub(rf"\b{value}\b", marker, said)

    def norm(text: str) -> str:  # the article before a value is fitted to it
        return re.sub(r"\ban\b", "a", text.lower())

    assert any(norm(said) == norm(t) for t in every), reply.utterance


async def test_a_closing_fallback_is_a_real_user_s_closing() -> None:
    outputs = iter(["I need a cheap restaurant in the north."])

    def model(messages: list[ChatMessage], config: GenerateConfig) -> str:
        return next(outputs, "How can I help you today?")

    user = GoalStateUser(function_model(model, role="user"), goal="", task=TASK, style=None)
    gated = gate_user(user, ValidityOptions(), goal="", task=TASK)
    chat = Chat(gated)  # type: ignore[arg-type]
    await chat.turn()
    said, stop, meta = await chat.turn("Golden Curry is a cheap restaurant in the north.")
    assert meta["stop_reason"] == "goal_met" and meta["verbalised_by"] == "real_wording"
    closings = RealWording.default().wordings
    assert said in closings["close|thank"] + closings["close|bye"], said
    assert not stop  # the other side gets the last word


async def test_with_real_wording_off_the_fallback_is_the_built_in_template() -> None:
    user = GoalStateUser(
        function_model(_as_assistant, role="user"),
        goal="",
        task=TASK,
        style=None,
        options=GoalStateOptions(real_wording=False),
    )
    gated = gate_user(user, ValidityOptions(), goal="", task=TASK)
    reply = await gated.respond(Chat(user).view())
    assert reply.metadata["verbalised_by"] == "template"


async def test_a_value_the_compact_act_form_cannot_hold_falls_back_to_the_template() -> None:
    """An ABCD-style value with parentheses ("(977) 625-2661") does not survive the compact act
    form; the fallback is then the built-in template, not a crash."""
    task = TaskGoal.parse(
        {
            "id": "g2",
            "description": "a taxi from home",
            "domains": [{"domain": "taxi", "inform": {"departure": "(977) 625-2661 road"}}],
        }
    )
    user = GoalStateUser(function_model(_as_assistant, role="user"), goal="", task=task, style=None)
    gated = gate_user(user, ValidityOptions(), goal="", task=task)
    reply = await gated.respond(Chat(user).view())
    assert reply.metadata["verbalised_by"] == "template"
    assert "(977) 625-2661 road" in reply.utterance
