"""Counterfactual evaluation: log format errors, the estimators against hand computation and
against a synthetic bandit with a known value, simulated outcomes, run adapter and CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.conversation import TerminationReason
from simulacra.errors import ConfigError
from simulacra.evaluation._counterfactual import (
    LoggedDecision,
    check_support,
    decisions_from_run,
    fit_reward_model,
    off_policy_evaluate,
    read_decisions,
)
from simulacra.evaluation._counterfactual_policy import TablePolicy, load_policy
from simulacra.evaluation._counterfactual_sim import (
    ConversationSimulator,
    SimulatedRewardModel,
    SyntheticBandit,
    validate_estimators,
)
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.orchestration import StopConditions
from simulacra.participants import CallableTarget, PromptedUser
from simulacra.runs import RunWriter
from simulacra.testing import function_model
from tests._cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _write_log(path: Path, rows: Sequence[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _row(**over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "context": {"segment": "new"},
        "action": "a",
        "propensity": 0.5,
        "reward": 1.0,
    }
    row.update(over)
    return row


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"propensity": 0}, "propensity 0 is outside (0, 1]"),
        ({"propensity": 1.5}, "propensity 1.5 is outside (0, 1]"),
        ({"propensity": -0.2}, "outside (0, 1]"),
        ({"reward": "high"}, "reward must be a finite number"),
        ({"context": ["x"]}, "context must be an object"),
    ],
)
def test_bad_rows_name_file_and_row(tmp_path: Path, bad: dict[str, object], message: str) -> None:
    log = _write_log(tmp_path / "log.jsonl", [_row(), _row(**bad)])
    with pytest.raises(ConfigError) as err:
        read_decisions(log)
    text = str(err.value)
    assert text.startswith(f"{log}:2: ") and message in text and "\n" not in text


def test_missing_field_and_bad_json(tmp_path: Path) -> None:
    row = _row()
    del row["propensity"]
    with pytest.raises(ConfigError, match=r"log.jsonl:1: missing field 'propensity'"):
        read_decisions(_write_log(tmp_path / "log.jsonl", [row]))
    (tmp_path / "b.jsonl").write_text(json.dumps(_row()) + "\n{oops\n")
    with pytest.raises(ConfigError, match=r"b.jsonl:2: not valid JSON"):
        read_decisions(tmp_path / "b.jsonl")


def test_unknown_action_names_row(tmp_path: Path) -> None:
    log = _write_log(tmp_path / "log.jsonl", [_row(), _row(action="zzz")])
    policy = TablePolicy(actions=["a", "b"], default_action="b")
    with pytest.raises(ConfigError, match=r"log.jsonl:2: unknown action 'zzz'"):
        check_support(read_decisions(log), policy, actions=policy.actions)


def test_policy_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("actions: [a, b]\ndefault: {a: 0.5, b: 0.4}\n")
    with pytest.raises(ConfigError, match=r"p.yaml: .*sum to 0.9, not 1"):
        load_policy(bad)
    bad.write_text("actions: [a]\ndefault_action: a\nrules: [{when: {s: x}, action: c}]\n")
    with pytest.raises(ConfigError, match=r"rules.0: unknown action 'c'"):
        load_policy(bad)
    good = tmp_path / "g.yaml"
    good.write_text(
        "actions: [a, b]\ndefault: {a: 0.25, b: 0.75}\nrules: [{when: {s: [x, y]}, action: a}]\n"
    )
    policy = load_policy(good)
    assert policy.probabilities({"s": "y"}) == {"a": 1.0}
    assert policy.probabilities({"s": "z"}) == {"a": 0.25, "b": 0.75}


def test_estimators_match_hand_computation() -> None:
    log = [
        LoggedDecision({"s": "x"}, "a", 0.5, 1.0),
        LoggedDecision({"s": "x"}, "b", 0.5, 0.0),
        LoggedDecision({"s": "y"}, "a", 0.25, 1.0),
    ]
    policy = TablePolicy(actions=["a", "b"], default_action="a")  # always a: w = 2, 0, 4

    class Half:
        def predict(self, context: object, action: str) -> float:
            return 0.5

    report = off_policy_evaluate(log, policy, reward_model=Half(), clip=3.0, resamples=200)
    est = {k: v.estimate.value for k, v in report.estimates.items()}
    assert est["ips"] == pytest.approx((2 + 0 + 4) / 3)
    assert est["clipped_ips"] == pytest.approx((2 + 0 + 3) / 3)
    assert est["snips"] == pytest.approx(6 / 6)
    # DR: q = 0.5 everywhere; 0.5 + w * (r - 0.5) per row.
    assert est["dr"] == pytest.approx((0.5 + 1 + 0.5 + 0 + 0.5 + 2) / 3)
    assert report.estimates["ips"].ess == pytest.approx(36 / 20)
    assert report.max_weight == 4.0
    assert report.logged.value == pytest.approx(2 / 3)
    for e in report.estimates.values():
        assert e.estimate.low <= e.estimate.high and e.estimate.n == 3


def test_synthetic_validation_recovers_the_true_value() -> None:
    bandit = SyntheticBandit.default()
    policy = TablePolicy(
        actions=bandit.actions,
        default={"a1": 0.8, "a2": 0.2},
        rules=[
            {"when": {"segment": "returning"}, "action": "a0"},  # type: ignore[list-item]
            {"when": {"segment": "vip"}, "probabilities": {"a2": 0.7, "a3": 0.3}},  # type: ignore[list-item]
        ],
    )
    truth = bandit.true_value(policy)
    assert truth == pytest.approx(0.5675)
    assert abs(truth - bandit.true_value(bandit.logging)) > 0.1  # a real policy change
    result = validate_estimators(bandit, policy, draws=100, n=400, clip=3.0, resamples=300)
    for name in ("ips", "snips", "dr"):
        assert result[name]["coverage"] >= 0.85, (name, result[name])
    ips = result["ips"]
    # Unbiased: the mean error is within 3 standard errors of zero.
    assert abs(ips["bias"]) < 3 * ips["sd"] / 100**0.5
    # A well-specified reward model makes DR less variable than IPS.
    assert result["dr"]["sd"] < ips["sd"]
    # Clipping at 3 (weights reach 4.7) trades bias for variance.
    assert result["clipped_ips"]["sd"] < ips["sd"]
    assert result["clipped_ips"]["bias"] < ips["bias"]


def test_reward_model_fit_recovers_linear_means() -> None:
    bandit = SyntheticBandit.default()
    log = bandit.sample(4000, seed=3)
    model = fit_reward_model(log, ridge=0.1)
    for segment in ("new", "vip"):
        for action in bandit.actions:
            ctx = {"segment": segment, "u": 0.5}
            assert model.predict(ctx, action) == pytest.approx(
                bandit.mean_reward(ctx, action), abs=0.1
            )


# A conversational bandit: users of a segment like one greeting style; the user's model (a
# function) answers "thanks" when the assistant's style suits it and leaves otherwise.
LIKES = {"formal": "Good day", "casual": "Hey"}


def _user_fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
    system, last = messages[0].content, messages[-1].content
    wants = "Good day" if "taste: FORMAL" in system else "Hey"
    if "Assistant:" not in last:
        return "Hello, I need help with my order."
    return "Thanks, perfect. ###STOP###" if wants in last else "Whatever. ###STOP###"


def _thanked(c: Conversation) -> float:
    return float(any(t.speaker == "user" and "Thanks" in t.utterance for t in c.turns))


def test_simulated_outcomes_impute_rewards_for_dr() -> None:
    model = function_model(_user_fn, role="user")
    simulate = ConversationSimulator(
        user=lambda ctx, k: PromptedUser(
            model,
            goal="get help",
            instructions=f"Your greeting taste: {str(ctx['segment']).upper()}.",
        ),
        target=lambda action, ctx: CallableTarget(lambda view: f"{LIKES[action]}! How can I help?"),
        reward=_thanked,
        stop=StopConditions(max_turns=4),
    )
    q_hat = SimulatedRewardModel(simulate)
    # Logged: a uniform old policy; rewards from the same mechanism (1 when the style fits).
    log = [
        LoggedDecision({"segment": seg}, act, 0.5, float(seg == act), id=f"{seg}-{act}-{i}")
        for i in range(5)
        for seg in ("formal", "casual")
        for act in ("formal", "casual")
    ]
    policy = TablePolicy(
        actions=["formal", "casual"],
        default_action="casual",
        rules=[{"when": {"segment": "formal"}, "action": "formal"}],  # type: ignore[list-item]
    )
    report = off_policy_evaluate(
        log, policy, reward_model=q_hat, reward_model_name="simulated", resamples=200
    )
    assert q_hat.predict({"segment": "formal"}, "formal") == 1.0
    assert q_hat.predict({"segment": "formal"}, "casual") == 0.0
    assert len(simulate.conversations) == 4  # one per (context, action), then cached
    dr = report.estimates["dr"].estimate
    assert dr.value == pytest.approx(1.0) and dr.high - dr.low < 1e-9  # exact simulator
    assert report.estimates["ips"].estimate.value == pytest.approx(1.0)
    assert report.logged.value == pytest.approx(0.5)
    assert report.reward_model == "simulated"


def _conversation(cid: str, *, action: str | None, propensity: object, goal: bool) -> Conversation:
    meta: dict[str, str | int | float | bool | None] = {}
    if action is not None:
        meta = {"action": action, "propensity": propensity, "context.channel": "web"}  # type: ignore[dict-item]
    return Conversation(
        id=cid,
        scenario_id="s1",
        participants=[
            ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
            ParticipantInfo(id="bot", name="Bot", kind=ParticipantKind.AI_SYSTEM),
        ],
        turns=[
            Turn(speaker="user", utterance="hi"),
            Turn(speaker="bot", utterance="hello", metadata=meta),
        ],
        termination=TerminationReason.GOAL_REACHED if goal else TerminationReason.MAX_TURNS,
        metadata={"profile_id": "p1"},
    )


def _run_dir(tmp_path: Path, conversations: Sequence[Conversation]) -> Path:
    writer = RunWriter(tmp_path / "run", {"name": "logged", "created_at": time.time()})
    for c in conversations:
        writer.write(c)
    writer.close()
    return tmp_path / "run"


def test_decisions_from_run(tmp_path: Path) -> None:
    run = _run_dir(
        tmp_path,
        [
            _conversation("c1", action="a", propensity=0.5, goal=True),
            _conversation("c2", action=None, propensity=None, goal=True),  # no decision
            _conversation("c3", action="b", propensity=0.25, goal=False),
        ],
    )
    decisions = decisions_from_run(run)
    assert [(d.id, d.action, d.propensity, d.reward) for d in decisions] == [
        ("c1", "a", 0.5, 1.0),
        ("c3", "b", 0.25, 0.0),
    ]
    assert decisions[0].context == {"scenario_id": "s1", "profile_id": "p1", "channel": "web"}


def test_run_with_bad_propensity_names_line(tmp_path: Path) -> None:
    run = _run_dir(
        tmp_path,
        [
            _conversation("c1", action="a", propensity=0.5, goal=True),
            _conversation("c2", action="a", propensity=0.0, goal=True),
        ],
    )
    with pytest.raises(ConfigError, match=r"conversations.jsonl:2: propensity 0.0 is outside"):
        decisions_from_run(run)


def test_cli_reports_and_errors(tmp_path: Path) -> None:
    bandit = SyntheticBandit.default()
    rows = [
        {
            "id": d.id,
            "context": dict(d.context),
            "action": d.action,
            "propensity": d.propensity,
            "reward": d.reward,
        }
        for d in bandit.sample(300, seed=1)
    ]
    log = _write_log(tmp_path / "log.jsonl", rows)
    (tmp_path / "policy.yaml").write_text("actions: [a0, a1, a2, a3]\ndefault_action: a2\n")
    done = run_cli(
        [
            "counterfactual",
            str(log),
            "--policy",
            "policy.yaml",
            "--resamples",
            "200",
            "-o",
            "out/report.json",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "snips" in done.stdout and "ESS" in done.stdout
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["n"] == 300 and set(data["estimates"]) == {"ips", "clipped_ips", "snips", "dr"}
    truth = bandit.true_value(load_policy(tmp_path / "policy.yaml"))
    dr = data["estimates"]["dr"]
    assert dr["low"] <= truth <= dr["high"]
    rows[7]["action"] = "a9"
    _write_log(log, rows)
    bad = run_cli(["counterfactual", str(log), "--policy", "policy.yaml"], tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        f"simulacra: error: {log}:8: unknown action 'a9' (the policy knows: a0, a1, a2, a3)"
    )
