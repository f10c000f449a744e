"""The agenda-based user: agenda construction and update rules, the system NLU, templates, whole
conversations against a scripted and a rule-based system, task success, bad input."""

from __future__ import annotations

import re

import pytest

from simulacra import (
    ParticipantInfo,
    ParticipantKind,
    Reply,
    StopConditions,
    TerminationReason,
    View,
    run_conversation,
)
from simulacra.errors import ConfigError
from simulacra.participants import (
    AgendaUser,
    DialogueAct,
    TaskGoal,
    agenda_user_from_options,
    task_goal_check,
    task_success,
)
from simulacra.participants._agenda_nlu import SystemNLU
from simulacra.scenarios import parse_acts
from simulacra.testing import ScriptedParticipant

HOTEL = {
    "id": "h1",
    "domains": [
        {
            "domain": "hotel",
            "inform": {"area": "north", "stars": "4", "type": "guesthouse"},
            "fail_inform": {"type": "hotel"},
            "requests": ["phone"],
            "book": {"people": 2, "day": "friday", "stay": 3},
        }
    ],
}


def _act(text: str) -> DialogueAct:
    return parse_acts(text)[0]


def _user(goal: object = HOTEL, **kw: object) -> AgendaUser:
    return AgendaUser(TaskGoal.parse(goal), **kw)  # type: ignore[arg-type]


def test_initial_agenda_is_informs_then_requests_then_booking() -> None:
    user = _user(seed=1)
    acts = user.agenda.acts  # top first
    assert {str(a) for a in acts[:3]} == {
        "inform(hotel-area=north)",
        "inform(hotel-stars=4)",
        "inform(hotel-type=hotel)",  # the goal's first (failing) value comes first
    }
    assert str(acts[3]) == "request(hotel-phone)"
    assert {a.slot for a in acts[4:7]} == {"book people", "book day", "book stay"}
    assert str(acts[7]) == "request(hotel-ref)"
    assert [str(a) for a in _user(seed=1).agenda.acts] == [str(a) for a in acts]  # seeded


def test_system_request_pushes_the_answer_on_top() -> None:
    user = _user()
    user.update([_act("request(hotel-book people)")])
    assert str(user.agenda.acts[0]) == "inform(hotel-book people=2)"
    user.update([_act("request(hotel-parking)")])  # not in the goal: the user does not mind
    assert str(user.agenda.acts[0]) == "inform(hotel-parking=dontcare)"


def test_informed_request_is_removed_and_booking_completes() -> None:
    user = _user()
    user.update([DialogueAct("inform", "hotel", "phone", "01223 351880")])
    assert DialogueAct("request", "hotel", "phone") not in user.agenda
    size = len(user.agenda)
    user.update([DialogueAct("book", "hotel", "ref", "ab12cd34")])
    assert len(user.agenda) == size - 4  # three booking informs and the ref request
    assert user.satisfied


def test_nooffer_switches_to_the_alternative_then_relaxes_then_gives_up() -> None:
    user = _user(max_relaxations=1)
    user.update([_act("nooffer(hotel)")])
    assert str(user.agenda.acts[0]) == "inform(hotel-type=guesthouse)"
    user.update([_act("nooffer(hotel-area)")])
    assert str(user.agenda.acts[0]) == "inform(hotel-area=dontcare)"
    reply = user.step([_act("nooffer(hotel)")])
    assert reply.stop and user.status == "failed"
    assert reply.metadata["goal_status"] == "failed" and reply.metadata["acts"] == "bye()"


def test_nobook_uses_the_goal_alternative() -> None:
    goal = {
        "id": "r1",
        "domains": [
            {
                "domain": "restaurant",
                "inform": {"food": "thai"},
                "book": {"time": "19:00", "people": 4, "day": "monday"},
                "fail_book": {"time": "18:00"},
            },
        ],
    }
    user = _user(goal)
    assert user.agenda.acts[1:4].count(DialogueAct("inform", "restaurant", "book time", "18:00"))
    user.update([_act("nobook(restaurant)")])
    assert str(user.agenda.acts[0]) == "inform(restaurant-book time=19:00)"
    assert user.step([_act("nobook(restaurant)")]).stop  # no alternative left: give up


def test_contradicted_constraint_is_restated_once() -> None:
    user = _user()
    user.update([DialogueAct("inform", "hotel", "area", "south")])
    assert str(user.agenda.acts[0]) == "inform(hotel-area=north)"
    size = len(user.agenda)
    user.update([DialogueAct("inform", "hotel", "area", "south")])
    assert len(user.agenda) == size


def test_acts_per_turn_and_metadata() -> None:
    user = _user(seed=0, acts_per_turn=(2, 2))
    reply = user.step(None)
    acts = parse_acts(str(reply.metadata["acts"]))
    assert len(acts) == 2 and all(a.domain == "hotel" for a in acts)
    assert reply.metadata["agenda_size"] == 6
    assert all(isinstance(v, str | int | float | bool) for v in reply.metadata.values())
    assert re.search(r"(place|somewhere) to stay|a hotel", reply.utterance)  # domain intro


def test_templates_are_deterministic_per_seed() -> None:
    def lines(seed: int) -> list[str]:
        user = _user(seed=seed)
        return [user.step([] if i else None).utterance for i in range(5)]

    assert lines(7) == lines(7)
    assert len({tuple(lines(s)) for s in range(6)}) > 3


@pytest.mark.parametrize(
    ("utterance", "expected"),
    [
        ("What area of town would you like?", {"request(hotel-area)"}),
        (
            "How many people, and for how many nights?",
            {"request(hotel-book people)", "request(hotel-book stay)"},
        ),
        ("What day would you like to check in?", {"request(hotel-book day)"}),
        (
            "I 'm sorry , there are no guesthouses in the north .",
            {"nooffer(hotel-area)", "inform(hotel-type=guesthouse)", "inform(hotel-area=north)"},
        ),
        (
            "Booking was successful. Reference number is : 7GAWK763 .",
            {"book(hotel-ref=7gawk763)", "inform(hotel-ref=7gawk763)"},
        ),
        ("I'm sorry, I was unable to book that for you.", {"nobook(hotel)"}),
        (
            "Their phone number is 01223 351880. Anything else?",
            {"inform(hotel-phone=01223 351880)", "reqmore()"},
        ),
    ],
)
def test_nlu_on_system_utterances(utterance: str, expected: set[str]) -> None:
    nlu = SystemNLU(TaskGoal.parse(HOTEL))
    assert {str(a) for a in nlu.understand(utterance, domain="hotel")} == expected


def test_nlu_resolves_train_times_and_places() -> None:
    goal = TaskGoal.parse(
        {
            "id": "t",
            "domains": [
                {
                    "domain": "train",
                    "inform": {"departure": "cambridge", "destination": "ely", "day": "friday"},
                }
            ],
        }
    )
    acts = {
        str(a)
        for a in SystemNLU(goal).understand(
            "Where will you be departing from? And what time do you want to leave?", domain="train"
        )
    }
    assert acts == {"request(train-departure)", "request(train-leave at)"}
    acts = {
        str(a)
        for a in SystemNLU(goal).understand(
            "TR1234 leaves cambridge at 09:15 and arrives in ely by 10:07.", domain="train"
        )
    }
    assert {
        "inform(train-train id=tr1234)",
        "inform(train-departure=cambridge)",
        "inform(train-arrive by=09:15)",
    } <= acts  # lexical: "leaves ... arrives" both match


async def test_full_conversation_against_a_scripted_system() -> None:
    user = _user(seed=3)
    system = ScriptedParticipant(
        [
            "What area would you like?",
            "Sorry, there are no hotels matching that.",
            "How many people will be staying?",
            "Acorn Guest House is a 4 star guesthouse in the north. The phone number is 01223353888.",
            "I have booked it, the reference number is ABCD1234. Anything else?",
            "You're welcome, goodbye!",
        ],
        id="assistant",
        kind=ParticipantKind.AI_SYSTEM,
    )
    c = await run_conversation([user, system], stop=StopConditions(max_turns=30))
    assert c.termination is TerminationReason.USER_STOP and user.status == "success"
    assert c.turns[-1].metadata["goal_status"] == "success"
    assert "inform(hotel-area=north)" in str(c.turns[2].metadata["acts"])
    assert task_success(TaskGoal.parse(HOTEL), c).success


class FakeHotel:
    """A rule-based hotel system reading the user's text with keywords (no acts shared)."""

    def __init__(self) -> None:
        self.info = ParticipantInfo(id="assistant", name="Hotel", kind=ParticipantKind.AI_SYSTEM)
        self.said: dict[str, str] = {}

    async def respond(self, view: View) -> Reply:
        text = view.messages[-1].content.lower()
        for slot, pattern in (
            ("area", r"\b(north|south|east|west|centre)\b"),
            ("stars", r"\b(\d) stars?"),
            ("people", r"(\d+) (people|of us)"),
            ("day", r"(monday|tuesday|wednesday|thursday|friday)"),
            ("stay", r"(\d+) nights"),
        ):
            if m := re.search(pattern, text):
                self.said[slot] = m.group(1)
        if re.search(r"\b(bye|goodbye)\b", text):
            return Reply(utterance="Goodbye!")
        if "hotel" in text and "guesthouse" not in text and "a hotel" not in text:
            return Reply(utterance="I'm sorry, there are no hotels like that, only guesthouses.")
        if "phone" in text:
            return Reply(utterance="The phone number is 01223 353888.")
        if "area" not in self.said:
            return Reply(utterance="Which area would you like to stay in?")
        if "reference" in text or "book" in text:
            for slot, question in (
                ("people", "How many people?"),
                ("day", "What day?"),
                ("stay", "How many nights?"),
            ):
                if slot not in self.said:
                    return Reply(utterance=question)
            return Reply(utterance="Booked! Your reference number is QW12ER34.")
        area = self.said["area"]
        return Reply(
            utterance=f"Acorn Guest House is a 4 star guesthouse in the {area}. Anything else?"
        )


async def test_full_conversation_against_a_rule_based_hotel() -> None:
    goal = TaskGoal.parse(HOTEL)
    for seed in range(5):
        user = AgendaUser(goal, seed=seed)
        c = await run_conversation([user, FakeHotel()], stop=StopConditions(max_turns=40))
        assert c.termination is TerminationReason.USER_STOP, [t.utterance for t in c.turns]
        assert user.status == "success"
        assert task_success(goal, c).success
        assert task_goal_check(goal)(c)


def test_task_success_reports_what_is_missing() -> None:
    goal = TaskGoal.parse(HOTEL)
    result = task_success(goal, ["There is a guesthouse in the south with 4 stars."])
    assert not result.success and not result.booked
    assert set(result.missing) == {"hotel-area=north", "hotel-phone", "hotel-booking"}
    assert result.contradicted == ("hotel-area=north",) and result.request_rate == 0.0
    lenient = task_success(goal, ["Booked, reference number is ab12cd34. Phone is 01223351880."])
    assert lenient.success and lenient.inform_rate == 0.0
    assert not task_success(
        goal, ["Booked, reference number is ab12cd34. Phone is 01223351880."], strict=True
    ).success


def test_bad_input_is_one_line_config_error() -> None:
    bad = {"id": "x", "domains": [{"domain": "hotel", "inform": {"aera": "north"}}]}
    with pytest.raises(ConfigError, match=r"aera.*did you mean 'area'") as e:
        AgendaUser(bad)
    assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match=r"unknown domain 'hotl' \(did you mean 'hotel'\?\)"):
        AgendaUser({"id": "x", "domains": [{"domain": "hotl"}]})
    with pytest.raises(ConfigError, match=r"user: acts_per_turn: .*1 <= low <= high"):
        agenda_user_from_options({"acts_per_turn": [3, 1]}, goal=HOTEL, seed=0)
    with pytest.raises(ConfigError, match=r"did you mean 'acts_per_turn'"):
        agenda_user_from_options({"acts_per_turns": 2}, goal=HOTEL, seed=0)
    user = agenda_user_from_options({"type": "agenda", "acts_per_turn": 1}, goal=HOTEL, seed=4)
    assert user.options.acts_per_turn == (1, 1)
