"""Template verbalisation of user dialogue acts (several phrasings per act, picked by a seeded
random generator)."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from simulacra.scenarios import DONTCARE, DialogueAct

__all__ = ["TEMPLATES_VERSION", "verbalise"]

TEMPLATES_VERSION = "agenda-templates/1"
"""Id and version of these templates (recorded on every turn of the agenda user)."""

_NOUN = {
    "attraction": ["an attraction", "a place to go", "something to see"],
    "hospital": ["a hospital"],
    "hotel": ["a place to stay", "a hotel", "somewhere to stay"],
    "police": ["the police station"],
    "restaurant": ["a restaurant", "a place to eat", "somewhere to eat"],
    "taxi": ["a taxi", "a cab"],
    "train": ["a train", "a train ticket"],
}

_INTRO = [
    "I'm looking for {noun}.",
    "I need {noun}.",
    "Can you help me find {noun}?",
    "Hi, I'd like {noun}.",
]

_PHRASE = {
    "area": "area",
    "price range": "price range",
    "food": "type of food",
    "stars": "star rating",
    "type": "type",
    "name": "name",
    "parking": "parking",
    "internet": "internet",
    "day": "day",
    "departure": "departure",
    "destination": "destination",
    "leave at": "departure time",
    "arrive by": "arrival time",
    "book day": "day",
    "book people": "number of people",
    "book stay": "length of stay",
    "book time": "time",
    "department": "department",
    "address": "address",
    "phone": "phone number",
    "postcode": "postcode",
    "entrance fee": "entrance fee",
    "car type": "car type",
    "duration": "travel time",
    "price": "price",
    "train id": "train ID",
    "ref": "reference number",
    "open hours": "opening hours",
}

_INFORM = {
    "area": ["It should be in the {v}.", "Somewhere in the {v}, please.", "I'd like the {v}."],
    "price range": [
        "Something {v}, please.",
        "It should be in the {v} price range.",
        "I'm looking for the {v} price range.",
    ],
    "food": ["I'd like {v} food.", "Something serving {v} food.", "I'm in the mood for {v}."],
    "stars": ["It should have {v} stars.", "A {v} star place, please.", "{v} stars, please."],
    "type": ["I'd prefer a {v}.", "It should be a {v}.", "I'm looking for a {v}."],
    "name": ["It's called {v}.", "I'm looking for {v}.", "The name is {v}."],
    "parking:yes": ["It should have free parking.", "I need free parking.", "Parking is a must."],
    "parking:no": ["I don't need parking.", "Parking doesn't matter, I don't need it."],
    "internet:yes": ["It should have free wifi.", "I need internet.", "Free wifi, please."],
    "internet:no": ["I don't need internet.", "Wifi isn't needed."],
    "day": ["I'm travelling on {v}.", "It's for {v}.", "I'd like to go on {v}."],
    "departure": ["I'm leaving from {v}.", "I'll be departing from {v}.", "From {v}."],
    "destination": ["I'm going to {v}.", "I need to get to {v}.", "My destination is {v}."],
    "leave at": [
        "I want to leave after {v}.",
        "I'd like to leave after {v}.",
        "Leaving after {v}, please.",
    ],
    "arrive by": [
        "I need to arrive by {v}.",
        "I have to be there by {v}.",
        "Arriving by {v}, please.",
    ],
    "book day": ["It's for {v}.", "Starting on {v}.", "On {v}, please."],
    "book people": ["There will be {v} of us.", "For {v} people.", "It's for {v} people."],
    "book stay": ["For {v} nights.", "I'll stay {v} nights.", "We need it for {v} nights."],
    "book time": ["At {v}, please.", "For {v}.", "We'd like to come at {v}."],
    "department": ["I need the {v} department.", "It's the {v} department."],
}
_GENERIC_INFORM = ["The {slot} should be {v}.", "{v} for the {slot}, please."]
_DONTCARE = ["I don't mind about the {slot}.", "Any {slot} is fine.", "The {slot} doesn't matter."]
_REQUEST = [
    "What is the {slot}?",
    "Could you give me the {slot}?",
    "Can I have the {slot}, please?",
    "And the {slot}?",
]
_BOOK = [
    "Could you book it for me and give me the reference number?",
    "Please make a booking and send me the reference number.",
    "Can you book that? I'll need the reference number.",
]
_CLOSE = [
    "Thank you, that's all I need. Goodbye!",
    "Great, thanks for your help. Bye!",
    "Perfect, thank you. Have a nice day!",
    "That's everything, thanks. Bye.",
]
_GIVE_UP = [
    "Never mind then, thanks anyway. Goodbye.",
    "Okay, I'll look elsewhere. Bye.",
    "That doesn't work for me, thanks anyway. Bye.",
]


_INTENT = ["Hi, I'd like to {intent}.", "I want to {intent}.", "Can you help me {intent}?"]


def _inform(act: DialogueAct, rng: random.Random) -> str:
    slot = _PHRASE.get(act.slot, _words(act.slot))
    if act.value == DONTCARE:
        return rng.choice(_DONTCARE).format(slot=slot)
    key = f"{act.slot}:{act.value}" if act.slot in ("parking", "internet") else act.slot
    options = _INFORM.get(key) or _GENERIC_INFORM
    return rng.choice(options).format(v=act.value, slot=slot)


def _words(name: str) -> str:
    """``GetCarsAvailable`` / ``rentalcars_1`` / ``pickup_location`` as lower-case words."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    spaced = re.sub(r"_\d+$", "", spaced)
    return " ".join(spaced.replace("_", " ").replace("-", " ").split()).lower()


def verbalise(
    acts: Sequence[DialogueAct],
    rng: random.Random,
    *,
    new_domain: str | None = None,
    intent: str | None = None,
) -> str:
    """One user utterance for the acts.

    Args:
        acts: The acts of the turn (``inform``, ``request``, ``thank``/``bye`` closing acts and
            ``giveup``).
        rng: The seeded random generator that picks the phrasings.
        new_domain: A domain the user starts talking about with this turn (adds an intro such
            as "I'm looking for a place to stay."; a service outside MultiWOZ is named by its
            words, "rentalcars_1" as "rentalcars").
        intent: What the user wants done there (an SGD intent such as ``ReserveCar``, said as
            "I'd like to reserve car." instead of the intro).
    """
    parts: list[str] = []
    if new_domain is not None and intent:
        parts.append(rng.choice(_INTENT).format(intent=_words(intent)))
    elif new_domain is not None:
        nouns = _NOUN.get(new_domain, [f"help with {_words(new_domain)}"])
        parts.append(rng.choice(_INTRO).format(noun=rng.choice(nouns)))
    for act in acts:
        if act.intent == "inform":
            parts.append(_inform(act, rng))
        elif act.intent == "request" and act.slot == "ref":
            parts.append(rng.choice(_BOOK))
        elif act.intent == "request":
            parts.append(rng.choice(_REQUEST).format(slot=_PHRASE.get(act.slot, _words(act.slot))))
        elif act.intent == "giveup":
            parts.append(rng.choice(_GIVE_UP))
        elif act.intent == "bye":
            parts.append(rng.choice(_CLOSE))
    return " ".join(parts)
