"""MultiWOZ 2.1 goals and turns read from the original files in ../shared/data/multiwoz21."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from simulacra.datasets import multiwoz_dialogues, multiwoz_goals, multiwoz_scenarios
from simulacra.errors import ConfigError
from simulacra.participants import DialogueAct, TaskGoal


@pytest.fixture(scope="module")
def val(shared_data: Path) -> Path:
    return shared_data / "multiwoz21" / "val.json.zip"


@pytest.fixture(scope="module")
def val_goals(val: Path) -> list[TaskGoal]:
    return multiwoz_goals(val)


def test_counts_of_the_real_splits(shared_data: Path, val: Path, val_goals: list[TaskGoal]) -> None:
    assert len(val_goals) == 999
    assert len(multiwoz_goals(shared_data / "multiwoz21" / "test.json.zip")) == 1000
    hotel_only = multiwoz_goals(val, domains=["hotel"])
    assert len(hotel_only) == 56
    assert all(g.domain_names == ["hotel"] for g in hotel_only)
    assert len(multiwoz_goals(val, domains=["hotel"], limit=5)) == 5


def test_a_known_goal(val: Path) -> None:
    dialogue = next(multiwoz_dialogues(val, with_turns=True))
    goal = dialogue.goal
    assert dialogue.id == goal.id == "PMUL1635"
    assert goal.domain_names == ["hotel", "train"]
    hotel, train = goal.domains
    assert hotel.inform == {"area": "east", "parking": "yes", "stars": "4", "internet": "yes"}
    assert hotel.book == {"book people": "3", "book day": "monday", "book stay": "4"}
    assert train.requests == ["duration", "leave at", "price"]
    assert train.inform["arrive by"] == "19:45"
    assert goal.description.startswith("You are looking for information in Cambridge.")
    assert "<span" not in goal.description and "4 nights starting from monday" in goal.description
    # provenance on everything returned
    assert "MIT" in (goal.source or "") and "Apache-2.0" in (goal.source or "")
    assert dialogue.provenance.dialogue_id == "PMUL1635"
    assert dialogue.provenance.packaging == "original"
    # real user turns with their acts, in unified slot names
    first = dialogue.user_turns[0]
    assert first.text.startswith("I need to book a hotel in the east")
    assert first.acts == (
        DialogueAct("inform", "hotel", "area", "east"),
        DialogueAct("inform", "hotel", "stars", "4"),
    )
    assert dialogue.turns[1].acts == (DialogueAct("request", "hotel", "price range"),)


def test_fail_values_become_alternatives(val_goals: list[TaskGoal]) -> None:
    goals = val_goals
    with_fail = [d for g in goals for d in g.domains if d.fail_inform]
    assert len(with_fail) > 100
    changed = [d for d in with_fail if any(d.inform.get(s) != v for s, v in d.fail_inform.items())]
    assert changed and all(d.first_value(next(iter(d.fail_inform))) for d in changed)


def test_unified_layout(shared_data: Path) -> None:
    path = shared_data / "multiwoz21" / "convlab3-unified-multiwoz21-dummy_data.json"
    dialogues = list(multiwoz_dialogues(path, with_turns=True))
    assert len(dialogues) == 10
    hotel = dialogues[0].goal.domains[0]
    assert hotel.book["book stay"] == "2" and hotel.fail_book == {"book stay": "3"}
    assert dialogues[0].provenance.packaging == "unified"
    assert dialogues[0].turns[1].acts == (DialogueAct("request", "hotel", "area"),)


def test_scenarios(val: Path) -> None:
    scenarios = multiwoz_scenarios(val, limit=3, domains=["hotel", "train"])
    assert scenarios[0].id == "multiwoz:PMUL1635"
    assert scenarios[0].goal == scenarios[0].task.description
    assert len(scenarios) == 3


def test_bad_input_is_one_line(tmp_path: Path, val: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        multiwoz_goals(tmp_path / "missing.json.zip")
    (tmp_path / "bad.zip").write_text("not a zip")
    with pytest.raises(ConfigError, match=r"bad\.zip: not a zip file"):
        multiwoz_goals(tmp_path / "bad.zip")
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(ConfigError, match=r"bad\.json:1:2: malformed JSON"):
        multiwoz_goals(tmp_path / "bad.json")
    (tmp_path / "nogoal.json").write_text(json.dumps({"X1": {"log": []}}))
    with pytest.raises(ConfigError, match=r"nogoal\.json: dialogue X1: no 'goal'"):
        multiwoz_goals(tmp_path / "nogoal.json")
    bad_slot = {"X2": {"goal": {"hotel": {"info": {"aera": "north"}}}, "log": []}}
    with zipfile.ZipFile(tmp_path / "slot.json.zip", "w") as z:
        z.writestr("slot.json", json.dumps(bad_slot))
    with pytest.raises(ConfigError, match=r"dialogue X2: goal: .*'aera'.*did you mean 'area'") as e:
        multiwoz_goals(tmp_path / "slot.json.zip")
    assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match=r"unknown domain 'hotl'.*did you mean 'hotel'"):
        multiwoz_goals(val, domains=["hotl"])
