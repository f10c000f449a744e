"""The simulator validity gate: each detector on hand-written turns and on real user turns,
regeneration with a scripted model, the ``simulator_invalid`` flag, and config errors."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.conversation import View
from simulacra.datasets import import_corpus
from simulacra.errors import ConfigError
from simulacra.models import GenerateConfig
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import (
    CallableTarget,
    GatedUser,
    PromptedUser,
    Reply,
    ValidityGate,
    ValidityOptions,
    gate_user,
    mark_simulator_validity,
    rule_checklist,
    simulator_validity,
)
from simulacra.runs import parse_config
from simulacra.testing import ScriptedModelAPI, function_model

USER = ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN)
BOT = ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM)
GOAL = "Book a double room for two nights from 12 to 14 March, for less than 150 EUR a night."


def _view(*lines: tuple[str, str]) -> View:
    c = Conversation(participants=[USER, BOT])
    for speaker, text in lines:
        c.append(Turn(speaker=speaker, utterance=text))
    return c.view_for("user")


def _found(text: str, *lines: tuple[str, str], stop: bool = False, **kw: object) -> set[str]:
    gate = ValidityGate(goal=GOAL, **kw)  # type: ignore[arg-type]
    return {f.detector for f in gate.check(Reply(utterance=text, stop=stop), _view(*lines))}


@pytest.mark.parametrize(
    ("text", "detector"),
    [
        ("Sure, I can book a room for you.", "speaks_as_assistant"),
        ("How can I help you today?", "speaks_as_assistant"),
        ("I can't find any available rooms for less than 150 EUR a night.", "speaks_as_assistant"),
        ("Could you please provide your name and dates?", "speaks_as_assistant"),
        ("oh, I see. what room are you interested in booking?", "speaks_as_assistant"),
        (
            "I need more information about your reservation. Can you give details?",
            "speaks_as_assistant",
        ),
        ("What dates would you like to stay?", "speaks_as_assistant"),
        # role slips seen in goal-state transcripts (0.5.1)
        ("let me know if there's anything else i can help with. bye.", "speaks_as_assistant"),
        ("ok, i've found it. please let me know if I can assist.", "speaks_as_assistant"),
        ("yes, but do you have any other criteria for the hotel?", "speaks_as_assistant"),
        ("of course! what's your price range you'd like?", "speaks_as_assistant"),
        ("My goal is to book a double room.", "instruction_leak"),
        ("As a customer, I want a room.", "instruction_leak"),
        ("Notes: double room | two nights", "instruction_leak"),
        ("hi\nAssistant: Hello! How can I help?", "writes_dialogue"),
        ("...", "empty"),
        ("My name is [your name].", "empty"),
    ],
)
def test_each_detector_flags_its_failure(text: str, detector: str) -> None:
    assert detector in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "hi, i need a double room for two nights in march",
        "Sure, I would like a latte with chocolate sauce.",
        "yes please, book it for 12 to 14 March",
        "what's the price per night?",
        "Thank you, have a great day, too.",
        "Can I get the phone number of the hotel?",
    ],
)
def test_user_like_turns_pass(text: str) -> None:
    assert _found(text, ("assistant", "Have a great day! Anything else?")) == set()


def test_echo_and_repeat() -> None:
    bot = "We have a double room for 130 EUR a night with breakfast included."
    assert "echoes_other" in _found(
        "We have a double room for 130 EUR a night with breakfast included.", ("assistant", bot)
    )
    assert "repeats_self" in _found(
        "I need a double room for two nights please",
        ("user", "I need a double room for two nights, please."),
        ("assistant", "Which dates?"),
    )
    # a short courtesy said twice is what people do
    assert _found("thanks, bye", ("user", "thanks, bye"), ("assistant", "Bye!")) == set()


def test_invented_constraint_allows_goal_and_conversation_facts() -> None:
    assert _found("for two nights, 12 to 14 March") == set()
    assert "invented_constraint" in _found("for three nights from Friday")
    # a fact the other side said first is not invented
    assert _found("ok, 130 EUR is fine", ("assistant", "It is 130 EUR a night.")) == set()
    # topics: only with a structured goal (whose domains are known)
    assert "invented_constraint" not in _found("i need a hotel room")
    assert "invented_constraint" in _found("also a restaurant please", topics=True)


def test_premature_stop_reads_the_checklist_and_spares_refusals() -> None:
    covered = rule_checklist(GOAL).covered
    early = ("assistant", "We have double rooms.")
    assert "premature_stop" in _found("thanks, bye", early, stop=True, covered=covered)
    refused = ("assistant", "Sorry, we are fully booked in March.")
    assert "premature_stop" not in _found("ok, bye", refused, stop=True, covered=covered)
    stuck = ("assistant", "We have double rooms in many hotels.")
    asked = ("user", "which one is under 150 EUR?")
    # the system said the same thing twice in a row: it failed the user, who may give up
    assert "premature_stop" not in _found(
        "ok, bye", stuck, asked, stuck, stop=True, covered=covered
    )
    # two different answers are not a failure
    assert "premature_stop" in _found("ok, bye", early, asked, stuck, stop=True, covered=covered)
    said = (
        ("user", "I want to book a double room for two nights"),
        ("assistant", "Which dates?"),
        ("user", "from 12 to 14 March, for less than 150 EUR a night"),
        ("assistant", "Booked."),
    )
    assert _found("great, thanks", *said, stop=True, covered=covered) == set()


def test_drops_content_checks_the_values_the_turn_was_meant_to_say() -> None:
    gate = ValidityGate(goal=GOAL)
    says = {"content.says": "kirkwood house | 8 | thursday"}

    def found(text: str) -> set[str]:
        reply = Reply(utterance=text, metadata=says)
        return {f.detector for f in gate.check(reply, _view())}

    assert "drops_content" in found("yes, please.")
    assert "drops_content" in found("hello, i'm looking for a hotel with 8 people on thursday.")
    # values worded freely still count as said
    assert "drops_content" not in found("the Kirkwood please, eight of us, arriving thursday")
    # a turn with nothing to say is not checked
    assert "drops_content" not in {
        f.detector for f in gate.check(Reply(utterance="thanks, bye"), _view())
    }


def test_off_voice_uses_the_scorer() -> None:
    assert "off_voice" in _found("text", voice=lambda t: 0.01)
    assert "off_voice" not in _found("text", voice=lambda t: 0.9)


def test_real_user_turns_pass_the_lexical_detectors(shared_data: Path) -> None:
    gate = ValidityGate(
        ValidityOptions(
            detectors=["empty", "speaks_as_assistant", "instruction_leak", "writes_dialogue"]
        )
    )
    sources = [
        ("multiwoz21", shared_data / "multiwoz21/test.json.zip"),
        ("taskmaster", shared_data / "taskmaster/TM-4-2024/data/data_07.json"),
        ("abcd", shared_data / "abcd/data/abcd_sample.json"),
    ]
    for kind, path in sources:
        turns = flagged = 0
        for c in itertools.islice(import_corpus(kind, path), 150):
            conv = Conversation(participants=[USER, BOT])
            for t in c.turns:
                speaker = "user" if t.speaker == "user" else "assistant"
                if speaker == "user":
                    turns += 1
                    flagged += bool(gate.check(Reply(utterance=t.utterance), conv.view_for("user")))
                conv.append(Turn(speaker=speaker, utterance=t.utterance))
        assert turns > 20, kind
        assert flagged / turns <= 0.01, f"{kind}: {flagged} of {turns} real user turns flagged"


def _scripted_user(outputs: list[str]) -> tuple[PromptedUser, ScriptedModelAPI]:
    from simulacra.models import Model, RetryPolicy

    api = ScriptedModelAPI(outputs)
    model = Model(api, role="user", retry=RetryPolicy(max_retries=0))
    return PromptedUser(model, goal=GOAL, config=GenerateConfig(seed=5)), api


async def test_a_failing_turn_is_regenerated_with_a_new_seed_and_a_hint() -> None:
    user, api = _scripted_user(["Sure, I can book a room for you.", "hi, a double room please"])
    gated = GatedUser(user, ValidityGate(goal=GOAL))
    reply = await gated.respond(_view())
    assert reply.utterance == "hi, a double room please"
    assert reply.metadata["validity.regenerations"] == 1
    assert reply.metadata["validity.rejected"] == "speaks_as_assistant"
    assert reply.metadata["validity.invalid"] is False
    assert len(reply.model_calls) == 2  # both attempts are accounted for
    (first_msgs, first_cfg), (second_msgs, second_cfg) = api.requests
    assert first_cfg.seed == 5 and second_cfg.seed != 5
    assert "rejected" in second_msgs[-1].content and "rejected" not in first_msgs[-1].content


async def test_budget_exhausted_keeps_the_turn_and_flags_the_conversation() -> None:
    bad = "Sure, I can book a room for you."
    user, api = _scripted_user([bad, bad, bad])
    gated = GatedUser(user, ValidityGate(ValidityOptions(budget=2), goal=GOAL))
    bot = CallableTarget(lambda view: "Which dates?")
    conv = await run_conversation([gated, bot], stop=StopConditions(max_turns=2))
    mark_simulator_validity(conv)
    assert conv.turns[0].utterance == bad
    assert conv.turns[0].metadata["validity.invalid"] is True
    assert conv.turns[0].metadata["validity.reasons"] == "speaks_as_assistant"
    assert conv.metadata["simulator_invalid"] is True
    assert conv.metadata["simulator_regenerations"] == 2
    assert len(api.requests) == 3
    summary = simulator_validity([conv])
    assert summary["invalid"] == 1 and summary["reasons"] == {"speaks_as_assistant": 1}


async def test_budget_zero_only_checks() -> None:
    user, api = _scripted_user(["Sure, I can book a room for you."])
    gated = GatedUser(user, ValidityGate(ValidityOptions(budget=0), goal=GOAL))
    reply = await gated.respond(_view())
    assert reply.metadata["validity.invalid"] is True and len(api.requests) == 1


async def test_gate_off_returns_the_user_itself() -> None:
    user = PromptedUser(function_model(lambda m, c: "hi"), goal=GOAL)
    assert gate_user(user, ValidityOptions(enabled=False), goal=GOAL) is user
    assert isinstance(gate_user(user, ValidityOptions(), goal=GOAL), GatedUser)


def _config(**validity: object) -> dict[str, object]:
    return {
        "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
        "scenarios": [{"id": "s", "goal": GOAL}],
        "validity": validity,
    }


def test_config_rejects_unknown_detectors_and_negative_budgets() -> None:
    with pytest.raises(ConfigError, match=r"validity\.detectors.*'echo_other'.*echoes_other"):
        parse_config(_config(detectors=["echo_other"]), source="c.yaml")
    with pytest.raises(ConfigError, match=r"validity\.budget"):
        parse_config(_config(budget=-1), source="c.yaml")
    config = parse_config(_config(), source="c.yaml")
    assert config.validity.enabled and config.user.type == "goal_state"


def test_cli_bad_validity_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "models: {user: 'embedded:tiny', target: 'embedded:tiny'}\n"
        "scenarios: [{id: s, goal: g}]\nvalidity: {budget: -3}\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "simulacra", "run", str(path), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "validity.budget" in lines[0] and str(path) in lines[0]
    assert not (tmp_path / "out").exists()
