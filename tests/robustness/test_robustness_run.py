"""End to end: baseline + shifted runs and the report, on function models through the CLI and
on the tiny embedded model."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from simulacra.cli import main
from simulacra.conversation import Conversation, TerminationReason, Turn
from simulacra.evaluation import JudgeItem, Verdict
from simulacra.evaluation._robustness import compare_runs
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.robustness import parse_shift, run_robustness
from simulacra.runs import parse_config, read_conversations
from simulacra.testing import function_model
from tests.evaluation._convs import conversation

CONFIG = """
name: rb
seed: 2
epochs: 2
models: {user: "embedded:tiny", target: "embedded:tiny"}
cache: {enabled: false}
user: {type: prompted}        # these tests drive the prompted user's prompts
validity: {enabled: false}    # and isolate the shifts from the validity gate
profiles:
  - {kind: general, id: g}
scenarios:
  - {id: s1, goal: "I want to book a room for two nights please"}
  - {id: s2, goal: "I am looking for a cheap restaurant in the centre"}
stop: {max_turns: 4}
"""


def _brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
    """The user repeats its goal then stops; the target is vulnerable to injections."""
    text = "\n".join(m.content for m in messages)
    if messages[0].role == "system" and "You are the customer" in messages[0].content:
        if "Assistant:" in messages[-1].content:
            return "thanks for the help with everything ###STOP###"
        return "hello there I would like some help with my booking today"
    last = messages[-1].content
    if "ignore all previous instructions" in last.lower():
        return "PINEAPPLE-42"
    return f"Certainly, I can help with that ({len(text) % 7} options)."


@pytest.fixture
def function_models(monkeypatch: pytest.MonkeyPatch) -> list[Model]:
    built: list[Model] = []

    def fake_get_model(spec: object, *, role: str, cache: object = None) -> Model:
        model = function_model(_brain, role=role, name=f"function:{role}")
        built.append(model)
        return model

    monkeypatch.setattr("simulacra.runs._items.get_model", fake_get_model)
    return built


def _user_turns(run_dir: Path) -> dict[str, list[str]]:
    return {
        c.id: [t.utterance for t in c.turns if t.speaker == "user"]
        for c in read_conversations(run_dir)
    }


def test_cli_runs_baseline_and_shifts(
    tmp_path: Path, function_models: list[Model], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rb.yaml"
    config.write_text(CONFIG)
    out = tmp_path / "report"
    main(
        [
            "robustness",
            str(config),
            "--shift",
            "typos:0.6",
            "--shift",
            "adversarial:prompt_injection",
            "-o",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert "attack:prompt_injection" in printed
    report = json.loads((out / "report.json").read_text())
    assert (out / "report.md").read_text().startswith("# Robustness report")
    typos, attack = report["shifts"]
    assert typos["shift"] == "typos:0.6" and attack["shift"] == "adversarial:prompt_injection"
    # Pairs by work-item id: 2 scenarios x 1 profile x 2 epochs.
    assert typos["metrics"]["turns"]["paired"] and typos["metrics"]["turns"]["shifted"]["n"] == 4
    # The attack works on this target and never happens without it.
    a = attack["metrics"]["attack:prompt_injection"]
    assert a["baseline"]["value"] == 0.0 and a["shifted"]["value"] == 1.0
    assert a["difference"]["low"] == a["difference"]["high"] == 1.0
    # Typos reached the target: same ids, corrupted user words.
    base = _user_turns(Path(report["baseline_run"]))
    noisy = _user_turns(Path(typos["run_dir"]))
    assert base.keys() == noisy.keys()
    clean = "hello there I would like some help with my booking today"
    assert all(turns[0] == clean for turns in base.values())
    assert all(turns[0] != clean for turns in noisy.values())
    assert all(len(t[0].split()) == len(clean.split()) for t in noisy.values())


def test_bad_shift_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "rb.yaml"
    config.write_text(
        CONFIG.replace("I want to book a room for two nights please", "hi").replace(
            "I am looking for a cheap restaurant in the centre", "ok"
        )
    )
    with pytest.raises(SystemExit) as done:
        main(["robustness", str(config), "--shift", "typos:2", "-o", str(tmp_path / "r")])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "simulacra: error: --shift typos:2: the typo rate must be in (0, 1], got 2"
    # Checked before the baseline runs: no rule applies to "hi" or "ok".
    with pytest.raises(SystemExit) as done:
        main(["robustness", str(config), "--shift", "paraphrase", "-o", str(tmp_path / "r")])
    assert done.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "simulacra: error: --shift paraphrase:template: changes nothing in this config "
        "(no rule or attribute applies)"
    )
    assert not (tmp_path / "r").exists()


def test_compare_runs_pairs_and_differences() -> None:
    base = [conversation(["a", "b"], id=f"c{i}", goal=i % 2 == 0) for i in range(6)]
    shifted = [conversation(["a", "b", "c", "d"], id=f"c{i}", goal=False) for i in range(6)]
    shifted.append(
        Conversation(
            id="infra",
            participants=base[0].participants,
            turns=[Turn(speaker="user", utterance="x")],
            termination=TerminationReason.INFRASTRUCTURE_ERROR,
        )
    )
    metrics = compare_runs(base, shifted, resamples=500)
    s = metrics["success"]
    assert s.paired and s.baseline.value == 0.5 and s.shifted.value == 0.0
    assert s.difference.value == -0.5 and s.difference.low < -0.1
    assert metrics["turns"].difference.value == 2.0 == metrics["turns"].difference.low
    assert metrics["error_rate"].shifted.n == 6  # the infrastructure failure is left out


@pytest.mark.embedded
def test_tiny_embedded_model_robustness_run(tmp_path: Path, tiny_gguf: str) -> None:
    config = parse_config(
        {
            "name": "tiny-rb",
            "seed": 1,
            "epochs": 2,
            "models": {
                "user": {"model": "embedded:tiny", "max_tokens": 12, "temperature": 0.7},
                "target": {"model": "embedded:tiny", "max_tokens": 12, "temperature": 0.2},
            },
            "cache": {"enabled": False},
            "scenarios": [{"id": "s1", "goal": "I want to book a room for two nights."}],
            "stop": {"max_turns": 2},
        }
    )
    report = asyncio.run(
        run_robustness(config, [parse_shift("typos:0.5")], tmp_path / "report", seed=1)
    )
    (shift,) = report.shifts
    assert "profiles[general:User].behaviour.typo_rate" in shift.changes
    assert {"success", "turns", "user_words_per_turn", "error_rate"} <= set(shift.metrics)
    assert shift.metrics["turns"].paired and shift.metrics["turns"].shifted.n == 2
    convs = list(read_conversations(shift.run_dir))
    assert all(c.turns and c.turns[0].utterance for c in convs)  # the real model generated
    assert all(c.participants[0].profile.behaviour.typo_rate == 0.5 for c in convs)  # type: ignore[union-attr]
    assert (tmp_path / "report" / "report.json").is_file()


def test_judge_scores_enter_the_report(tmp_path: Path, function_models: list[Model]) -> None:
    class LengthJudge:
        """Scores a target turn 5 when it names the injected code, else 1."""

        name = "stub"

        async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
            return [
                Verdict(
                    item_id=i.id,
                    judge="stub",
                    rubric=None,
                    scores={"overall": 5.0 if "PINEAPPLE" in (i.response or "") else 1.0},
                    conversation_id=i.conversation_id,
                )
                for i in items
            ]

    config = parse_config(yaml.safe_load(CONFIG))
    report = asyncio.run(
        run_robustness(
            config,
            [parse_shift("adversarial:prompt_injection")],
            tmp_path / "r",
            judge=LengthJudge(),
        )
    )
    judge = report.shifts[0].metrics["judge"]
    assert judge.paired and judge.baseline.value == 1.0 and judge.shifted.value > 1.0
    assert report.judge == "stub"
    assert (Path(report.baseline_run) / "judgments.jsonl").is_file()
