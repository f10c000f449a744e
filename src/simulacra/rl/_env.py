"""A Gymnasium environment in which an agent policy converses with a simulated user.

Observation: the conversation so far as text (``gymnasium.spaces.Text``: ``"Name: utterance"``
lines, the most recent ``max_chars`` characters, characters outside the space's charset shown as
``?``), or with ``observe_goal`` a ``Dict`` of that and the user's goal. Action: the agent's next
utterance (``Text``). The user speaks first; each :meth:`step` appends the agent's turn and lets
the user answer. An episode *terminates* when the user stops, the scenario's task is fulfilled
(``goal_reached``) or the user fails (``simulator_error`` / ``infrastructure_error``, as data in
``info``), and is *truncated* at ``max_turns``. The reward of a step is the shaping term, plus
the end reward on the step that ends the episode. ``env.unwrapped.conversation`` is the full
:class:`~simulacra.Conversation` (model calls and usage included).

The simulated user is async; the environment runs it on a private event loop in a background
thread, so ``step`` is synchronous and also works where an event loop is already running.
"""

from __future__ import annotations

import asyncio
import inspect
import string
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from simulacra.conversation import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    Turn,
)
from simulacra.errors import MissingExtraError, ModelError
from simulacra.models import GenerateConfig, Model, record_calls
from simulacra.participants import Participant, PromptedUser, Reply, task_success
from simulacra.rl._rewards import RewardFn, goal_reached_reward
from simulacra.rl._scenarios import EnvScenario

try:
    import gymnasium
    from gymnasium import spaces
except ImportError:  # pragma: no cover - exercised without the extra
    raise MissingExtraError("rl", "simulacra.rl (the Gymnasium environment)") from None

__all__ = ["CHARSET", "ConversationEnv", "UserFactory"]

T = TypeVar("T")

CHARSET = string.printable + "’‘“”–—…àáâäçèéêëíîïñóôöúûüßÀÁÉÍÓÚÜÑ€£°"
"""Characters of the observation and action spaces (others are shown as ``?``)."""

UserFactory = Callable[[EnvScenario, int], Participant]
"""Builds the simulated user of an episode from its scenario and seed."""

AGENT_ID = "agent"


class _Loop:
    """A private event loop in a daemon thread: ``run`` blocks until the coroutine is done."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


class ConversationEnv(gymnasium.Env):  # type: ignore[misc]  # gymnasium is opaque to mypy
    """An agent (the policy being trained) talks with a simulated user.

    Args:
        scenarios: What users may want; :meth:`reset` draws one with the env's RNG (or takes
            ``options={"scenario": index}``).
        user_model: The model of the default simulated user (:class:`PromptedUser`).
        make_user: Builds the user instead (e.g. an agenda user or a technique stack).
        reward: End reward of the finished conversation (default: 1 if ``goal_reached``).
        shaping: Per-step reward (e.g. :func:`~simulacra.rl.turn_penalty`).
        max_turns: Turns (user and agent) after which the episode is truncated.
        max_chars: Length of the observation (and the most an action is expected to be).
        observe_goal: Show the user's goal to the agent (a ``Dict`` observation).
        agent_name: The agent's display name in the transcript.
        render_mode: ``"ansi"`` (``render()`` returns the transcript) or ``None``.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}  # noqa: RUF012 (gymnasium's class attribute)

    def __init__(
        self,
        scenarios: Sequence[EnvScenario],
        *,
        user_model: Model | None = None,
        make_user: UserFactory | None = None,
        reward: RewardFn = goal_reached_reward,
        shaping: RewardFn | None = None,
        max_turns: int = 10,
        max_chars: int = 4096,
        observe_goal: bool = False,
        agent_name: str = "Assistant",
        render_mode: str | None = None,
    ) -> None:
        if not scenarios:
            raise ValueError("give at least one scenario")
        if (user_model is None) == (make_user is None):
            raise ValueError("give exactly one of user_model or make_user")
        if max_turns < 2:
            raise ValueError("max_turns must be >= 2")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be 'ansi' or None, got {render_mode!r}")
        self.scenarios = list(scenarios)
        self.user_model = user_model
        self.make_user = make_user
        self.reward_fn = reward
        self.shaping = shaping
        self.max_turns = max_turns
        self.max_chars = max_chars
        self.observe_goal = observe_goal
        self.render_mode = render_mode
        self.agent = ParticipantInfo(id=AGENT_ID, name=agent_name, kind=ParticipantKind.AI_SYSTEM)
        self._charset = frozenset(CHARSET)
        text = spaces.Text(max_length=max_chars, min_length=0, charset=CHARSET)
        self.action_space = spaces.Text(max_length=max_chars, min_length=0, charset=CHARSET)
        self.observation_space: spaces.Space[Any] = (
            spaces.Dict({"conversation": text, "goal": text}) if observe_goal else text
        )
        self.conversation: Conversation | None = None
        self.scenario: EnvScenario | None = None
        self._user: Participant | None = None
        self._done = False
        self._loop: _Loop | None = None

    # -- helpers -------------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            self._loop = _Loop()
        return self._loop.run(coro)

    def _text(self, text: str) -> str:
        clean = "".join(c if c in self._charset else "?" for c in text)
        return clean[-self.max_chars :] if len(clean) > self.max_chars else clean

    def _observation(self) -> Any:
        assert self.conversation is not None and self.scenario is not None
        transcript = self._text(self.conversation.view_for(AGENT_ID).transcript())
        if self.observe_goal:
            return {"conversation": transcript, "goal": self._text(self.scenario.goal)}
        return transcript

    def _info(self) -> dict[str, Any]:
        assert self.conversation is not None and self.scenario is not None
        c = self.conversation
        return {
            "scenario_id": self.scenario.id,
            "turns": len(c.turns),
            "termination": c.termination.value if c.termination else None,
            "error": c.error,
        }

    def _build_user(self, scenario: EnvScenario, seed: int) -> Participant:
        if self.make_user is not None:
            return self.make_user(scenario, seed)
        assert self.user_model is not None
        return PromptedUser(
            self.user_model,
            goal=scenario.goal,
            profile=scenario.profile,
            instructions=scenario.instructions,
            config=GenerateConfig(seed=seed),
        )

    async def _user_turn(self) -> None:
        """Let the user answer; its stop signal or failure ends the episode (as data)."""
        c, user = self.conversation, self._user
        assert c is not None and user is not None
        with record_calls() as log:
            try:
                reply: Reply | None = await user.respond(c.view_for(user.info.id))
            except Exception as exc:  # errors inside a conversation become data
                retryable = isinstance(exc, ModelError) and exc.retryable
                c.termination = (
                    TerminationReason.INFRASTRUCTURE_ERROR
                    if retryable
                    else TerminationReason.SIMULATOR_ERROR
                )
                first = (str(exc).strip().splitlines() or [""])[0]
                c.error = f"{user.info.id}: {type(exc).__name__}: {first}"
                c.ended_by = user.info.id
                reply = None
        c.model_calls.extend(log.calls)
        for key, value in log.usage.model_dump(exclude_none=True).items():
            if isinstance(value, int):
                c.usage[key] = c.usage.get(key, 0) + value
        if reply is None:
            return
        if reply.utterance or not reply.stop:
            c.turns.append(
                Turn(
                    speaker=user.info.id,
                    utterance=reply.utterance,
                    reasoning=reply.reasoning,
                    model_calls=reply.model_calls,
                    metadata=dict(reply.metadata),
                )
            )
        if reply.stop:
            c.termination, c.ended_by = TerminationReason.USER_STOP, user.info.id

    async def _score(self, fn: RewardFn) -> float:
        assert self.conversation is not None
        value = fn(self.conversation)
        return float(await value if inspect.isawaitable(value) else value)

    # -- the Gymnasium API -------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Draw a scenario, build its user and let the user open the conversation."""
        super().reset(seed=seed)
        if options and "scenario" in options:
            index = int(options["scenario"])
        else:
            index = int(self.np_random.integers(len(self.scenarios)))
        self.scenario = self.scenarios[index]
        episode_seed = int(self.np_random.integers(2**31 - 1))
        self._user = self._build_user(self.scenario, episode_seed)
        self.conversation = Conversation(
            participants=[self._user.info, self.agent],
            scenario_id=self.scenario.id,
            metadata={"seed": episode_seed, "env": "simulacra/Conversation-v0"},
        )
        self._done = False
        self._run(self._user_turn())
        return self._observation(), self._info()

    def step(self, action: str) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Append the agent's utterance, let the user answer, and score."""
        if self.conversation is None or self._done:
            raise RuntimeError("the episode is over (or never started): call reset()")
        c = self.conversation
        terminated = truncated = False
        if c.termination is None:  # the user did not end it in reset()
            c.turns.append(Turn(speaker=AGENT_ID, utterance=str(action)))
            task = self.scenario.task if self.scenario else None
            if task is not None and task_success(task, c).success:
                c.termination, c.ended_by = TerminationReason.GOAL_REACHED, "goal_check"
            elif len(c.turns) >= self.max_turns:
                c.termination, c.ended_by = TerminationReason.MAX_TURNS, "loop"
            else:
                self._run(self._user_turn())
                if c.termination is None and len(c.turns) >= self.max_turns:
                    c.termination, c.ended_by = TerminationReason.MAX_TURNS, "loop"
        if c.termination is not None:
            truncated = c.termination == TerminationReason.MAX_TURNS
            terminated = not truncated
        reward = self._run(self._score(self.shaping)) if self.shaping is not None else 0.0
        if terminated or truncated:
            self._done = True
            reward += self._run(self._score(self.reward_fn))
        return self._observation(), reward, terminated, truncated, self._info()

    def render(self) -> str | None:
        """The transcript (``render_mode="ansi"``)."""
        if self.render_mode != "ansi" or self.conversation is None:
            return None
        return self.conversation.view_for(AGENT_ID).transcript()

    def close(self) -> None:
        """Stop the private event loop."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        super().close()


if "simulacra/Conversation-v0" not in gymnasium.registry:
    gymnasium.register(id="simulacra/Conversation-v0", entry_point=ConversationEnv)
