"""Persona consistency curves and drift slopes: embedding- and judge-based; the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.evaluation import Population, drift_items, drift_report, load_population
from simulacra.evaluation._judge import RubricJudge
from simulacra.evaluation._rubric import load_rubric
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.profiles import Persona
from simulacra.testing import function_model
from tests._cli import run_cli
from tests.evaluation._convs import conversation

GOAL = "Your parcel PX-4471 is five days late; get a refund of the delivery fee."
ON = "my parcel PX-4471 is late, I want a refund of the delivery fee"
HALF = "the parcel is late and the fee should come back"
OFF = "anyway do you know any good gardening tips for tomatoes in spring"


def _drifting(n: int = 8) -> Population:
    convs = [
        conversation([ON, "sorry", HALF, "checking", OFF], id=f"d{i}", scenario="s1")
        for i in range(n)
    ]
    return Population("test", convs, goals={"s1": GOAL})


def test_embedding_drift_has_a_negative_slope_and_a_plottable_curve() -> None:
    report = drift_report(_drifting(), encoder="tfidf")
    assert report.encoder == "tfidf:word-1-2gram" and report.n_conversations == 8
    curve = report.curves["profile"]
    assert [p.turn for p in curve] == [1, 2, 3] and all(p.n == 8 for p in curve)
    assert curve[0].mean > curve[1].mean > curve[2].mean
    slope = report.slopes["profile"]
    assert slope.value < 0 and slope.high < 0 and slope.n == 8
    assert [p.turn for p in report.curves["self"]] == [2, 3]  # nothing to compare on turn 1
    data = report.to_dict()
    assert set(data["curves"]["profile"][0]) == {"turn", "mean", "lo", "hi", "n"}  # type: ignore[index]
    json.dumps(data)


def test_a_steady_user_does_not_drift() -> None:
    convs = [conversation([ON, "ok", ON, "ok", ON], id=f"s{i}") for i in range(5)]
    report = drift_report(Population("steady", convs, goals={"s1": GOAL}), encoder="tfidf")
    assert report.slopes["profile"].value == pytest.approx(0.0, abs=1e-9)
    assert report.means["self"].value == pytest.approx(1.0)


def test_profile_text_includes_the_rendered_persona() -> None:
    c = Conversation(
        id="p",
        scenario_id="s1",
        participants=[
            ParticipantInfo(
                id="user",
                name="Joe",
                kind=ParticipantKind.SIMULATED_HUMAN,
                profile=Persona(id="joe", name="Joe", description="A plumber from Leeds."),
            ),
            ParticipantInfo(id="bot", name="Bot", kind=ParticipantKind.AI_SYSTEM),
        ],
        turns=[Turn(speaker="user", utterance="hi"), Turn(speaker="bot", utterance="hello")],
    )
    items = drift_items(Population("t", [c], goals={"s1": GOAL}))
    assert len(items) == 1 and items[0].turn_index == 0
    assert items[0].context[0].startswith("[Profile]") and "plumber" in items[0].context[0]
    assert items[0].context[1] == f"[Goal] {GOAL}"


async def test_judge_based_curve_from_the_persona_consistency_rubric() -> None:
    seen: list[str] = []

    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        prompt = messages[-1].content
        seen.append(prompt)
        off = "gardening" in prompt.rsplit("Response:", 1)[-1]
        score = 1 if off else 5
        return json.dumps(
            {"explanation": "x", "profile_consistency": score, "self_consistency": score}
        )

    population = _drifting(4)
    rubric = load_rubric("persona_consistency")
    assert rubric.ref == "rubric/persona_consistency@1" and rubric.level == "turn"
    verdicts = await RubricJudge(function_model(fn, name="fn"), rubric).judge(
        drift_items(population)
    )
    assert "[Goal] Your parcel" in seen[0]
    report = drift_report(population, encoder="tfidf", verdicts=verdicts)
    assert report.judge == "fn" and report.rubric == "rubric/persona_consistency@1"
    curve = report.curves["judge:profile_consistency"]
    assert [p.mean for p in curve] == [5.0, 5.0, 1.0]
    assert report.slopes["judge:profile_consistency"].value == pytest.approx(-2.0)


def test_real_multiwoz_users_have_a_curve(shared_data: Path) -> None:
    population = load_population(
        shared_data / "multiwoz21" / "val.json.zip", limit=10, domains=["hotel"]
    )
    report = drift_report(population, encoder="tfidf")
    assert report.n_conversations == 10 and report.curves["profile"][0].n == 10
    assert "profile" in report.slopes


def test_cli_drift_writes_json_and_rejects_bad_input(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    config = {"scenarios": [{"id": "s1", "goal": GOAL}]}
    (run / "run.json").write_text(json.dumps({"schema_version": 1, "config": config}))
    convs = _drifting(4).conversations
    (run / "conversations.jsonl").write_text("".join(c.model_dump_json() + "\n" for c in convs))
    out = tmp_path / "drift.json"
    result = run_cli(["eval", "drift", str(run), "--encoder", "tfidf", "-o", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "slope/turn" in result.stdout
    data = json.loads(out.read_text())
    assert data["curves"]["profile"][0]["n"] == 4 and data["slopes"]["profile"]["value"] < 0
    bad = run_cli(["eval", "drift", str(run), "--judge", "baseline"], tmp_path)
    assert bad.returncode == 2 and "needs a model" in bad.stderr
    bad = run_cli(["eval", "drift", str(tmp_path / "nope")], tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1
