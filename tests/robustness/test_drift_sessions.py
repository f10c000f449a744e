"""Drift schedules: the profile of session k, errors, and a multi-session run in which an
adaptive system catches up with a user's changed preference and a static one never does."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, View
from simulacra.errors import ConfigError
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.orchestration import StopConditions
from simulacra.participants import CallableTarget, PromptedUser
from simulacra.profiles import Persona
from simulacra.profiles._drift_schedule import DriftSchedule, load_drift_schedule
from simulacra.robustness._sessions import adaptation_curve, adaptation_lag, run_sessions
from simulacra.testing import function_model

PAT = Persona(
    id="pat",
    name="Pat",
    attributes={"cuisine": "italian"},
    behaviour={"verbosity": 0.8, "patience": 0.9},  # type: ignore[arg-type]
)

SCHEDULE = """
id: cuisine-drift
changes:
  3: {preferences.cuisine: thai}
  5: {style.verbosity: 0.1, goal: "Find a quick lunch."}
gradual:
  - {path: style.patience, from: 0.9, to: 0.1, start: 2, end: 6}
"""


def _schedule(tmp_path: Path, text: str = SCHEDULE) -> DriftSchedule:
    path = tmp_path / "drift.yaml"
    path.write_text(text)
    return load_drift_schedule(path)


def test_profile_of_each_session(tmp_path: Path) -> None:
    s = _schedule(tmp_path)
    cuisines = [s.profile_at(PAT, k).attributes["cuisine"] for k in range(1, 7)]
    assert cuisines == ["italian", "italian", "thai", "thai", "thai", "thai"]
    patience = [s.profile_at(PAT, k).behaviour.patience for k in range(1, 7)]
    assert patience == [0.9, 0.9, 0.7, 0.5, 0.3, 0.1]
    assert s.profile_at(PAT, 4).behaviour.verbosity == 0.8
    assert s.profile_at(PAT, 5).behaviour.verbosity == 0.1
    assert s.goal_at("Dinner for two.", 4) == "Dinner for two."
    assert s.goal_at("Dinner for two.", 5) == "Find a quick lunch."
    assert PAT.attributes["cuisine"] == "italian"  # the original is untouched
    # Nothing else changes.
    assert s.profile_at(PAT, 6).model_dump(exclude={"attributes", "behaviour"}) == PAT.model_dump(
        exclude={"attributes", "behaviour"}
    )
    assert json.loads(s.describe(3))["preferences.cuisine"] == "thai"


def test_schedule_errors_name_file_session_and_field(tmp_path: Path) -> None:
    bad = _schedule(tmp_path, "changes:\n  2: {style.verbosity: 3}\n")
    with pytest.raises(
        ConfigError, match=r"drift.yaml: session 2: behaviour.verbosity: .*less than or equal to 1"
    ):
        bad.profile_at(PAT, 2)
    assert bad.profile_at(PAT, 1) == PAT  # not yet in force
    typo = _schedule(tmp_path, "changes:\n  2: {style.verbosty: 0.3}\n")
    with pytest.raises(
        ConfigError,
        match=r"session 2: behaviour.verbosty: unknown key \(did you mean 'verbosity'\?\)",
    ):
        typo.profile_at(PAT, 2)
    with pytest.raises(ConfigError, match=r"drift.yaml: changes: sessions are numbered from 1"):
        _schedule(tmp_path, "changes:\n  0: {style.verbosity: 0.3}\n")
    with pytest.raises(ConfigError, match=r"gradual.0: .*end \(2\) must come after start \(4\)"):
        _schedule(tmp_path, "gradual: [{path: style.patience, from: 1, to: 0, start: 4, end: 2}]\n")


def _user_brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
    """The user asks for its cuisine of the moment (read from its profile) and thanks once
    the assistant recommends it."""
    cuisine = re.search(r"cuisine: (\w+)", messages[0].content)
    assert cuisine is not None
    last = messages[-1].content
    if "Assistant:" in last:
        return "Great, thanks! ###STOP###"
    return f"Where can I eat {cuisine.group(1)} food tonight?"


class Remembering:
    """A system with memory: it recommends what the user asked for in the previous session."""

    def __init__(self, adaptive: bool) -> None:
        self.adaptive = adaptive
        self.remembered = "italian"

    def reply(self, view: View) -> str:
        return f"Try Luigi's, the best {self.remembered} place in town."

    def learn(self, conversation: Conversation) -> None:
        asked = re.search(r"eat (\w+) food", conversation.turns[0].utterance)
        if self.adaptive and asked:
            self.remembered = asked.group(1)


def _recommended_current(c: Conversation) -> float:
    current = json.loads(str(c.metadata["drift_values"])).get("preferences.cuisine", "italian")
    return float(current in c.turns[1].utterance)


@pytest.mark.parametrize(("adaptive", "lag"), [(True, 1), (False, None)])
def test_multi_session_run_measures_adaptation(
    tmp_path: Path, adaptive: bool, lag: int | None
) -> None:
    schedule = _schedule(tmp_path)
    model = function_model(_user_brain, role="user")
    system = Remembering(adaptive)
    convs = asyncio.run(
        run_sessions(
            schedule=schedule,
            profile=PAT,
            goal="Dinner tonight.",
            sessions=6,
            make_user=lambda p, g, k: PromptedUser(model, goal=g, profile=p),
            target=CallableTarget(system.reply),
            stop=StopConditions(max_turns=4),
            scenario_id="dinner",
            after_session=system.learn,
        )
    )
    assert [c.metadata["session_index"] for c in convs] == [1, 2, 3, 4, 5, 6]
    assert {c.metadata["drift_schedule"] for c in convs} == {"cuisine-drift"}
    asked = [c.turns[0].utterance for c in convs]
    assert asked[1] == "Where can I eat italian food tonight?"
    assert asked[2] == "Where can I eat thai food tonight?"
    profiles = [c.participants[0].profile for c in convs]
    assert [p.attributes["cuisine"] for p in profiles] == ["italian"] * 2 + ["thai"] * 4  # type: ignore[union-attr]
    curve = adaptation_curve(convs, _recommended_current)
    expected_after = [0.0, 1.0, 1.0, 1.0] if adaptive else [0.0, 0.0, 0.0, 0.0]
    assert [v for _, v in curve] == [1.0, 1.0, *expected_after]
    assert adaptation_lag(convs, _recommended_current, change_at=3) == lag
