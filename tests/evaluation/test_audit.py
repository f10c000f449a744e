"""Simulator self-audit: invented facts, hidden information revealed early, premature stops,
role reversal; rates with intervals and flagged turn ids; the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.conversation import TerminationReason
from simulacra.evaluation import Population, audit_report, load_population
from simulacra.evaluation._audit import stated_facts
from simulacra.participants import TaskGoal
from tests._cli import run_cli
from tests.evaluation._convs import conversation

GOAL = "Your parcel PX-4471 is five days late; get a refund of the delivery fee."
HOTEL = TaskGoal.parse(
    {
        "id": "h1",
        "description": "Find a hotel in the north. If there is none cheap, try expensive.",
        "domains": [
            {
                "domain": "hotel",
                "inform": {"area": "north", "price range": "expensive"},
                "fail_inform": {"area": "north", "price range": "cheap"},
                "requests": ["phone"],
            }
        ],
    }
)


def test_stated_facts() -> None:
    facts = stated_facts("My parcel PX-4471 is five days late. I'm Joe Bloggs from Leeds, £20.")
    assert facts == ["px-4471", "5", "joe bloggs", "leeds", "20"]
    assert stated_facts("Thanks. I need a 4-star room on Friday.") == ["4", "friday"]


def _one(lines: list[str], *, goal: bool = False, scenario: str = "s1") -> Population:
    c = conversation(lines, id="c", scenario=scenario, goal=goal)
    return Population("t", [c], goals={"s1": GOAL, "h1": HOTEL.description}, tasks={"h1": HOTEL})


def test_invented_facts_are_flagged_unless_grounded() -> None:
    report = audit_report(
        _one(
            [
                "Parcel PX-4471 is five days late.",  # from the goal: fine
                "Your claim number is 88213.",
                "Claim 88213 ok. Also my order 5521 from Hamburg is missing.",  # 5521: invented
            ]
        )
    )
    assert report.flagged("invented_fact") == ["c:2"]
    assert report.flags[0].detail == "5521, hamburg"  # 88213: the bot said it
    rate = report.rates["invented_fact"]
    assert rate.value == pytest.approx(0.5) and rate.n == 2


def test_fallback_value_before_a_no_match_is_a_reveal() -> None:
    early = audit_report(
        _one(["A hotel in the north, expensive or cheap.", "Sure."], scenario="h1")
    )
    assert early.flagged("hidden_revealed") == ["c:0"]
    ok = audit_report(
        _one(
            [
                "A cheap hotel in the north please.",
                "Sorry, there are no cheap hotels in the north.",
                "Then an expensive one.",
            ],
            scenario="h1",
        )
    )
    assert ok.flagged("hidden_revealed") == []
    assert ok.applicable["hidden_revealed"] == 2


def test_explicit_hidden_fact_only_after_being_asked() -> None:
    lines = ["I'm Ana, I want a refund.", "What is your name?", "Ana."]
    report = audit_report(_one(lines), hidden={"s1": ["name=Ana"]})
    assert report.flagged("hidden_revealed") == ["c:0"]  # not "c:2": by then it was asked


def test_premature_stop_and_role_reversal() -> None:
    stopped = conversation(
        ["I need a hotel.", "Which area?", "Thanks, bye."], id="a", scenario="h1", goal=False
    )
    done = conversation(
        ["A cheap hotel in the north, phone please, thanks bye"], id="b", scenario="h1", goal=False
    )
    reached = conversation(["Bye."], id="c", scenario="h1", goal=True)
    assistant = conversation(["Hi!", "How can I help you today?"], id="d", scenario="h1")
    assistant.turns[1].speaker = "user"
    stuck = "We have many hotels in Cambridge, all of them lovely."
    ignored = conversation(  # the system said the same twice: it failed the user, who gave up
        ["I need a hotel.", stuck, "Which one is cheap?", stuck, "Never mind, bye."],
        id="e",
        scenario="h1",
        goal=False,
    )
    population = Population(
        "t",
        [stopped, done, reached, assistant, ignored],
        goals={"h1": ""},
        tasks={"h1": HOTEL},
    )
    report = audit_report(population)
    assert report.flagged("premature_stop") == ["a:2"]
    assert "hotel-area=north" in next(f for f in report.flags if f.rule == "premature_stop").detail
    assert report.rates["premature_stop"].n == 4  # the four conversations the user closed
    assert report.flagged("role_reversal") == ["d:1"]
    assert set(report.to_dict()["flagged"]) == {  # type: ignore[arg-type]
        "invented_fact",
        "hidden_revealed",
        "premature_stop",
        "role_reversal",
    }


def test_user_stop_signal_counts_as_closing() -> None:
    c = conversation(["I want my money back."], id="x", goal=False)
    c.ended_by, c.termination = "user", TerminationReason.USER_STOP
    report = audit_report(Population("t", [c], goals={"s1": GOAL}))
    assert report.flagged("premature_stop") == ["x:0"]  # never gave the tracking number


def test_real_multiwoz_users_base_rates(shared_data: Path) -> None:
    population = load_population(
        shared_data / "multiwoz21" / "val.json.zip", limit=30, domains=["hotel"]
    )
    report = audit_report(population)
    assert report.n_user_turns > 100
    assert report.rates["role_reversal"].value < 0.05  # real users do not act as the system
    assert report.rates["invented_fact"].value < 0.2
    e = report.rates["any"]
    assert e.low <= e.value <= e.high and e.n == report.n_user_turns


def test_cli_audit_with_hidden_facts(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    config = {"scenarios": [{"id": "s1", "goal": GOAL}]}
    (run / "run.json").write_text(json.dumps({"schema_version": 1, "config": config}))
    c = conversation(["I'm Ana, parcel PX-4471, order 777.", "ok"], id="c")
    (run / "conversations.jsonl").write_text(c.model_dump_json() + "\n")
    hidden = tmp_path / "hidden.jsonl"
    hidden.write_text(json.dumps({"id": "s1", "hidden": ["name=Ana"]}) + "\n")
    out = tmp_path / "audit.json"
    result = run_cli(["eval", "audit", str(run), "--hidden", str(hidden), "-o", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["flagged"]["hidden_revealed"] == ["c:0"]
    assert data["flagged"]["invented_fact"] == ["c:0"]
    hidden.write_text("not json\n")
    bad = run_cli(["eval", "audit", str(run), "--hidden", str(hidden), "-o", str(out)], tmp_path)
    assert bad.returncode == 2 and "hidden.jsonl:1" in bad.stderr
    assert json.loads(out.read_text()) == data  # nothing written on bad input


def test_the_system_s_answer_to_the_closing_does_not_hide_that_it_failed_the_user() -> None:
    stuck = "We have many hotels in Cambridge, all of them lovely."
    answered = conversation(  # stuck twice; the user leaves; the system answers the goodbye
        [
            "I need a hotel.",
            stuck,
            "Which one is cheap?",
            stuck,
            "Never mind, thanks anyway.",
            "You're welcome, have a nice day!",
        ],
        id="f",
        scenario="h1",
        goal=False,
    )
    answered.ended_by, answered.termination = "user", TerminationReason.USER_STOP
    report = audit_report(Population("t", [answered], goals={"h1": ""}, tasks={"h1": HOTEL}))
    assert report.rates["premature_stop"].n == 1 and report.flagged("premature_stop") == []


def test_a_requested_slot_the_system_stated_is_obtained() -> None:
    task = TaskGoal.parse(
        {
            "id": "r1",
            "domains": [
                {"domain": "restaurant", "inform": {"area": "centre"}, "requests": ["food"]}
            ],
        }
    )
    said = conversation(
        ["A restaurant in the centre.", "The Golden Curry serves Indian food.", "Thanks."],
        id="g",
        scenario="r1",
        goal=False,
    )
    unsaid = conversation(
        ["A restaurant in the centre.", "The Golden Curry is in the centre.", "Thanks."],
        id="h",
        scenario="r1",
        goal=False,
    )
    for c in (said, unsaid):
        c.ended_by, c.termination = "user", TerminationReason.USER_STOP
    report = audit_report(Population("t", [said, unsaid], goals={"r1": ""}, tasks={"r1": task}))
    assert report.flagged("premature_stop") == ["h:2"]
