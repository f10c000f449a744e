"""What a goal-state turn must say (:mod:`simulacra.participants._content`)."""

from __future__ import annotations

import pytest

from simulacra.participants._content import unsaid, values_to_say


def test_values_to_say_keeps_informed_values_yes_no_slot_names_and_requests() -> None:
    acts = (
        "inform(hotel-name=kirkwood house);inform(hotel-book people=8);inform(hotel-parking=yes);"
        "request(hotel-phone);inform(hotel-area=dontcare);inform(taxi-leave at=14:45)"
    )
    assert values_to_say(acts) == ["kirkwood house", "8", "parking", "ask phone", "14:45"]
    assert values_to_say("request(hotel-phone);bye(general-none)") == ["ask phone"]
    assert values_to_say("bye(general-none)") == []


@pytest.mark.parametrize(
    ("text", "asked", "left"),
    [
        ("Sure.", ["ask ref"], ["ask ref"]),
        ("I'll do that.", ["ask ref"], ["ask ref"]),
        ("can I get the reference number?", ["ask ref"], []),
        ("does it have wifi?", ["ask internet"], []),
        ("what kind of car is it, and the number?", ["ask car type", "ask phone"], []),
        ("what kind of car is it?", ["ask car type", "ask phone"], ["ask phone"]),
    ],
)
def test_a_request_must_be_asked(text: str, asked: list[str], left: list[str]) -> None:
    assert unsaid(text, asked) == left


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("for eight people", "8"),
        ("for 8 people", "8"),
        ("leaving after 2:45 pm", "14:45"),
        ("i want to leave at 14:45", "14:45"),
        ("somewhere i can park", "parking"),
        ("does it have wifi?", "internet"),
        ("the kirkwood, please", "kirkwood house"),
        ("Booking the Good Luck Chinese takeaway", "the good luck chinese food takeaway"),
    ],
)
def test_a_value_worded_freely_is_said(text: str, value: str) -> None:
    assert unsaid(text, [value]) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes, please.", "thursday"),
        ("for 18 people", "8"),
        ("leaving at 4:45", "14:45"),
        ("a cheap hotel", "kirkwood house"),
        ("i need a taxi", "the good luck chinese food takeaway"),
    ],
)
def test_a_missing_or_different_value_is_unsaid(text: str, value: str) -> None:
    assert unsaid(text, [value]) == [value]
