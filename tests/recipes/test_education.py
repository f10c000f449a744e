"""Recipe 4: students with misconceptions and a tutor; per-misconception corrections by rule
and by judge (scripted models for the logic; the tiny model for the real path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.recipes import load_misconceptions, run_education
from simulacra.testing import function_model
from tests.recipes._helpers import RECIPES, TINY_JSON, invoke

pytestmark = pytest.mark.embedded


def test_the_example_file_and_bad_input(tmp_path: Path) -> None:
    data = load_misconceptions(RECIPES / "misconceptions.yaml")
    assert [m.id for m in data.misconceptions] == [
        "heavier-falls-faster",
        "seasons-distance",
        "multiplication-bigger",
    ]
    bad = tmp_path / "m.yaml"
    bad.write_text("misconceptions:\n  - {id: a, topic: t, belief: b, correct: c, keywrds: [x]}\n")
    with pytest.raises(ConfigError, match=r"m.yaml: misconceptions.0.keywords") as err:
        load_misconceptions(bad)
    assert "\n" not in str(err.value)
    bad.write_text(
        "misconceptions:\n  - {id: a, topic: t, belief: b, correct: c, keywords: [x]}\n"
        "  - {id: a, topic: t, belief: b, correct: c, keywords: [x]}\n"
    )
    with pytest.raises(ConfigError, match="duplicate id"):
        load_misconceptions(bad)


async def test_counts_per_misconception_by_rule_and_judge() -> None:
    data = load_misconceptions(RECIPES / "misconceptions.yaml")

    # The tutor corrects only the seasons misconception (mentions the tilt).
    def tutor(messages, config):
        text = " ".join(m.content for m in messages).lower()
        return (
            "No: the seasons come from the tilt of the axis." if "summer" in text else "Yes, right!"
        )

    def judge(messages, config):
        corrected = int("tilt" in messages[-1].content)
        return json.dumps({"explanation": "read it", "corrected": corrected})

    def student(messages, config):  # states the belief from its goal
        goal = messages[0].content
        return goal.split("You are sure that: ")[1].split(" Say this")[0]

    conversations, report = await run_education(
        data,
        student_model=function_model(student),
        tutor_model=function_model(tutor),
        judge_model=function_model(judge, role="judge"),
        students=2,
        max_turns=2,
    )
    assert len(conversations) == 6
    rows = {r["misconception"]: r for r in report["misconceptions"]}
    assert rows["seasons-distance"]["corrected_rule"]["successes"] == 2
    assert rows["seasons-distance"]["corrected_judge"]["successes"] == 2
    assert rows["heavier-falls-faster"]["corrected_rule"]["successes"] == 0
    assert rows["multiplication-bigger"]["n"] == 2
    assert report["corrected_rule"]["successes"] == 2 and report["corrected_rule"]["n"] == 6
    assert report["rule_judge_agreement"]["value"] == 1.0
    # Two different students per misconception.
    assert len({c.participants[0].name for c in conversations}) == 2


def test_the_cli_on_the_tiny_model(tiny_gguf: str, tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(
        "misconceptions:\n  - id: seasons\n    topic: the seasons\n"
        "    belief: It is summer when the Earth is closest to the Sun.\n"
        "    correct: Seasons come from the tilt of the Earth's axis.\n    keywords: [tilt, axis]\n"
    )
    out = invoke(
        "recipe",
        "education",
        str(one),
        "--model",
        TINY_JSON,
        "--max-turns",
        "2",
        "--max-tokens",
        "12",
        "-o",
        str(tmp_path / "out"),
    )
    assert out.exit_code == 0, out.output
    assert out.output.startswith("seasons: rule ")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    [row] = report["misconceptions"]
    assert row["n"] == 1 and row["corrected_judge"]["n"] + row["judge_unscored"] == 1
    [c] = [
        json.loads(x) for x in (tmp_path / "out" / "conversations.jsonl").read_text().splitlines()
    ]
    assert [t["speaker"] for t in c["turns"]] == ["user", "assistant"]
    assert c["metadata"]["corrected_rule"] == any(
        k in c["turns"][1]["utterance"].lower() for k in ("tilt", "axis")
    )


async def test_a_student_who_talks_like_the_tutor_is_the_simulator_s_fault() -> None:
    """Behind the validity gate: a student that answers as the tutor is flagged
    ``simulator_invalid`` and left out of the tutor's rates, counted apart."""
    data = load_misconceptions(RECIPES / "misconceptions.yaml")

    def student(messages, config):  # always speaks as the assistant
        return "How can I help you today? Feel free to ask me anything."

    conversations, report = await run_education(
        data,
        student_model=function_model(student),
        tutor_model=function_model(lambda m, c: "Tell me more."),
        students=1,
        max_turns=2,
    )
    assert all(c.metadata["simulator_invalid"] is True for c in conversations)
    first = conversations[0].turns[0].metadata
    assert first["validity.invalid"] is True and "speaks_as_assistant" in first["validity.reasons"]
    assert report["simulator_invalid"] == 3
    assert report["corrected_rule"]["n"] == 0
