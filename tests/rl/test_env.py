"""The conversation environment: Gymnasium's checker, scripted agents on a function-model user,
rewards, errors as data, the missing extra, and one episode on the tiny embedded model."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Sequence

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

from simulacra.conversation import TerminationReason
from simulacra.errors import TransientError
from simulacra.evaluation import Verdict
from simulacra.models import ChatMessage, GenerateConfig, get_model
from simulacra.participants import TaskGoal
from simulacra.rl import (
    ConversationEnv,
    EnvScenario,
    judge_reward,
    task_success_reward,
    turn_penalty,
)
from simulacra.testing import function_model

TASK = TaskGoal.model_validate(
    {
        "id": "SNG1046",
        "domains": [
            {
                "domain": "hotel",
                "inform": {"stars": "3", "internet": "yes"},
                "book": {"book stay": "2", "book day": "monday", "book people": "3"},
            }
        ],
    }
)
HOTEL = EnvScenario(
    goal="Book a 3 star hotel with free wifi for 3 people, 2 nights from monday.",
    task=TASK,
    id="hotel",
)
CHAT = EnvScenario(goal="Ask what the weather will be like tomorrow.", id="chat")


def _user(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
    """Opens with its need, answers questions, leaves when told goodbye."""
    last = messages[-1].content
    if "Assistant:" not in last:
        return "Hi, I need a 3 star hotel with wifi for 3 people. Héllo 🙂"
    if "goodbye" in last.lower().split("assistant:")[-1]:
        return "Bye! ###STOP###"
    return "For 2 nights from monday, please."


def _env(**kw: object) -> ConversationEnv:
    return ConversationEnv(
        [HOTEL, CHAT],
        user_model=function_model(_user, role="user"),
        **kw,  # type: ignore[arg-type]
    )


def test_passes_gymnasium_env_checker() -> None:
    env = _env(max_turns=6)
    check_env(env, skip_render_check=True)
    env.close()
    goal_env = _env(observe_goal=True, render_mode="ansi")
    check_env(goal_env)
    goal_env.close()


def test_scripted_agent_reaches_the_goal() -> None:
    env = _env(shaping=turn_penalty(0.05))
    obs, info = env.reset(seed=3, options={"scenario": 0})
    assert info["scenario_id"] == "hotel" and info["turns"] == 1
    assert obs.startswith("User: Hi, I need a 3 star hotel") and obs.endswith(
        "Héllo ?"
    )  # outside the charset: ?
    assert env.observation_space.contains(obs)
    obs, reward, terminated, truncated, info = env.step("Sure. For how many nights, and when?")
    assert (reward, terminated, truncated) == (pytest.approx(-0.05), False, False)
    assert obs.splitlines()[-1] == "User: For 2 nights from monday, please."
    obs, reward, terminated, truncated, info = env.step(
        "The Alpha hotel has 3 stars and free wifi. I have booked it for 3 people for 2 nights "
        "from monday, your reference number is ABC12345."
    )
    assert terminated and not truncated and reward == pytest.approx(1 - 0.05)
    assert info["termination"] == "goal_reached"
    c = env.unwrapped.conversation
    assert [t.speaker for t in c.turns] == ["user", "agent", "user", "agent"]
    assert c.termination is TerminationReason.GOAL_REACHED and len(c.model_calls) == 2
    with pytest.raises(RuntimeError, match="call reset"):
        env.step("more?")
    env.close()


def test_truncation_user_stop_and_rewards() -> None:
    env = _env(max_turns=4, reward=task_success_reward(TASK, partial=True))
    env.reset(seed=1, options={"scenario": 0})
    _, r1, term, trunc, _ = env.step("Hello!")
    assert (r1, term, trunc) == (0.0, False, False)
    _, r2, term, trunc, info = env.step("The hotel has 3 stars.")
    assert trunc and not term and info["termination"] == "max_turns"
    assert r2 == pytest.approx((0.5 + 1.0 + 0.0) / 3)  # wifi unsaid, no requests, not booked
    env.reset(seed=1, options={"scenario": 1})
    _, reward, term, trunc, info = env.step("It will rain. Goodbye!")
    assert term and not trunc and info["termination"] == "user_stop"
    assert reward == pytest.approx(1 / 3)  # the hotel task on a chat: only "no requests" holds
    assert env.unwrapped.conversation.turns[-1].utterance == "Bye!"
    env.close()


def test_seeded_scenarios_and_goal_observation() -> None:
    env = _env(observe_goal=True)
    drawn = [env.reset(seed=s)[1]["scenario_id"] for s in range(12)]
    assert set(drawn) == {"hotel", "chat"}
    assert drawn == [env.reset(seed=s)[1]["scenario_id"] for s in range(12)]
    obs, _ = env.reset(seed=0, options={"scenario": 1})
    assert obs["goal"] == CHAT.goal and obs["conversation"].startswith("User: ")
    env.close()


def test_user_failure_is_data() -> None:
    calls = {"n": 0}

    def flaky(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        calls["n"] += 1
        if calls["n"] > 1:
            raise TransientError("server overloaded")
        return "Hello?"

    env = ConversationEnv([CHAT], user_model=function_model(flaky, role="user"))
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step("Hi, how can I help?")
    assert terminated and not truncated and reward == 0.0
    assert info["termination"] == "infrastructure_error"
    assert info["error"] == "user: TransientError: server overloaded"
    env.close()


def test_judge_reward_and_make() -> None:
    class Judge:
        name = "stub"

        async def judge(self, items: Sequence[object]) -> list[Verdict]:
            text = "\n".join(items[0].context)  # type: ignore[attr-defined]
            score = 5.0 if "Goodbye" in text else 1.0
            return [Verdict(item_id="x", judge="stub", rubric=None, scores={"overall": score})]

    env = gymnasium.make(
        "simulacra/Conversation-v0",
        scenarios=[CHAT],
        user_model=function_model(_user, role="user"),
        reward=judge_reward(Judge()),
    )
    env.reset(seed=0)
    _, reward, terminated, _, _ = env.step("Sunny. Goodbye!")
    assert terminated and reward == 1.0
    assert env.unwrapped.conversation.scenario_id == "chat"
    env.close()


async def test_steps_inside_a_running_event_loop() -> None:
    env = _env()
    obs, _ = env.reset(seed=0, options={"scenario": 1})
    _, _, _, _, info = env.step("Hi!")
    assert info["turns"] == 3 and obs
    await asyncio.sleep(0)
    env.close()


def test_missing_extra_names_rl() -> None:
    code = (
        "import sys; sys.modules['gymnasium'] = None\n"
        "import simulacra.rl as rl\n"
        "assert rl.EnvScenario\n"
        "try:\n    rl.ConversationEnv\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "MissingExtraError simulacra.rl (the Gymnasium environment) needs the 'rl' extra: "
        "pip install 'simulacra[rl]'"
    )


@pytest.mark.embedded
def test_tiny_embedded_user_episode(tiny_gguf: str) -> None:
    model = get_model({"model": "embedded:tiny", "max_tokens": 16, "temperature": 0.5}, role="user")
    env = ConversationEnv([HOTEL], user_model=model, max_turns=4, render_mode="ansi")
    obs, _ = env.reset(seed=7)
    assert obs.startswith("User: ") and len(obs) > len("User: ")
    done = False
    while not done:
        obs, reward, terminated, truncated, _ = env.step("Which day would you like to arrive?")
        assert isinstance(reward, float) and env.observation_space.contains(obs)
        done = terminated or truncated
    c = env.unwrapped.conversation
    assert c.termination is not None and c.model_calls and c.usage.get("completion_tokens", 0) > 0
    assert env.render() == c.view_for("agent").transcript()
    env.close()


def test_scenarios_from_a_run_config() -> None:
    from simulacra.rl import scenarios_from_config
    from simulacra.runs import parse_config

    config = parse_config(
        {
            "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
            "profiles": [{"kind": "general", "id": "g"}, {"kind": "persona", "id": "p"}],
            "scenarios": [{"id": "s1", "goal": "book", "task": TASK.model_dump()}],
        }
    )
    out = scenarios_from_config(config)
    assert [s.id for s in out] == ["s1/g", "s1/p"]
    assert out[0].task == TASK and out[1].profile.profile_id() == "p"
