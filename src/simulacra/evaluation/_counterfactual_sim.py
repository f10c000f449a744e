"""Simulation in counterfactual evaluation: simulated users impute the outcome of an untried
(context, action), and a synthetic bandit with a known true value validates the estimators.

:class:`SimulatedRewardModel` is a :class:`~simulacra.evaluation.RewardModel` whose ``predict``
runs a hook ``simulate(context, action, sample) -> reward`` (sync or async) and averages
``samples`` runs, cached per (context, action). :class:`ConversationSimulator` is such a hook
built from the pieces of a simulation: a simulated user for the context, a target that takes the
action, and a reward of the finished conversation. With the embedded model::

    user_model = get_model("embedded:default", role="user")
    simulate = ConversationSimulator(
        user=lambda ctx, k: PromptedUser(user_model, goal=GOALS[ctx["segment"]],
                                         config=GenerateConfig(seed=k)),
        target=lambda action, ctx: ModelTarget(target_model, system_prompt=PROMPTS[action]),
        reward=lambda c: float(task_success(goal, c).success),
    )
    q_hat = SimulatedRewardModel(simulate, samples=3)
    report = off_policy_evaluate(decisions, policy, reward_model=q_hat)
"""

from __future__ import annotations

import asyncio
import inspect
import math
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulacra.conversation import Conversation
from simulacra.evaluation._counterfactual import (
    ESTIMATORS,
    Context,
    LoggedDecision,
    Policy,
    fit_reward_model,
    off_policy_evaluate,
)
from simulacra.evaluation._counterfactual_policy import PolicyRule, TablePolicy
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import Participant

__all__ = [
    "ConversationSimulator",
    "SimulatedRewardModel",
    "SyntheticBandit",
    "validate_estimators",
]

Simulate = Callable[[Context, str, int], float | Awaitable[float]]


def _key(context: Context, action: str) -> tuple[Any, ...]:
    return (tuple(sorted((k, str(v)) for k, v in context.items())), action)


class SimulatedRewardModel:
    """q̂(x, a) imputed by simulation: the mean reward of ``samples`` runs of ``simulate``.

    ``predict`` is synchronous (as :func:`off_policy_evaluate` needs); an async hook runs on a
    private event loop. Inside a running loop, ``await prefetch(...)`` first: ``predict`` then
    only reads the cache.
    """

    def __init__(self, simulate: Simulate, *, samples: int = 1) -> None:
        if samples < 1:
            raise ValueError("samples must be >= 1")
        self.simulate = simulate
        self.samples = samples
        self.cache: dict[tuple[Any, ...], float] = {}
        self.runs = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _one(self, context: Context, action: str) -> float:
        total = 0.0
        for k in range(self.samples):
            value = self.simulate(context, action, k)
            total += float(await value if inspect.isawaitable(value) else value)
            self.runs += 1
        return total / self.samples

    async def prefetch(self, decisions: Iterable[LoggedDecision], policy: Policy) -> None:
        """Simulate every (context, action) that ``off_policy_evaluate`` will ask about."""
        for d in decisions:
            actions = [a for a, p in policy.probabilities(d.context).items() if p > 0]
            for action in {d.action, *actions}:
                key = _key(d.context, action)
                if key not in self.cache:
                    self.cache[key] = await self._one(d.context, action)

    def predict(self, context: Context, action: str) -> float:
        key = _key(context, action)
        if key not in self.cache:
            # One private loop for every call: models keep loop-bound state between calls.
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            self.cache[key] = self._loop.run_until_complete(self._one(context, action))
        return self.cache[key]

    def close(self) -> None:
        """Close the private event loop (if ``predict`` opened one)."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None


@dataclass
class ConversationSimulator:
    """A ``simulate`` hook that runs one simulated conversation per call.

    Attributes:
        user: Builds the simulated user for a context and sample index.
        target: Builds the system under test that takes an action.
        reward: Scores the finished conversation.
        stop: When each conversation ends.
        conversations: Every conversation run so far (for inspection).
    """

    user: Callable[[Context, int], Participant]
    target: Callable[[str, Context], Participant]
    reward: Callable[[Conversation], float]
    stop: StopConditions = field(default_factory=lambda: StopConditions(max_turns=6))
    conversations: list[Conversation] = field(default_factory=list)

    async def __call__(self, context: Context, action: str, sample: int) -> float:
        conversation = await run_conversation(
            [self.user(context, sample), self.target(action, context)],
            stop=self.stop,
            metadata={"action": action, "sample": sample},
        )
        self.conversations.append(conversation)
        return float(self.reward(conversation))


@dataclass
class SyntheticBandit:
    """A logged contextual bandit whose true policy values are known exactly.

    Contexts: a ``segment`` (categorical, ``segment_probs``) and ``u`` ~ U(0, 1). The expected
    reward of action ``a`` is ``base[segment][a] + slope[a]·u``; rewards are Bernoulli. The old
    policy logs with ``logging`` (its propensities are known).
    """

    segment_probs: dict[str, float]
    base: dict[str, dict[str, float]]
    slope: dict[str, float]
    logging: TablePolicy

    @classmethod
    def default(cls) -> SyntheticBandit:
        """Three segments, four actions, propensities from 0.1 to 0.55."""
        actions = ["a0", "a1", "a2", "a3"]
        return cls(
            segment_probs={"new": 0.5, "returning": 0.3, "vip": 0.2},
            base={
                "new": {"a0": 0.2, "a1": 0.5, "a2": 0.3, "a3": 0.1},
                "returning": {"a0": 0.6, "a1": 0.2, "a2": 0.4, "a3": 0.3},
                "vip": {"a0": 0.3, "a1": 0.3, "a2": 0.7, "a3": 0.5},
            },
            slope={"a0": 0.2, "a1": -0.1, "a2": 0.1, "a3": 0.25},
            logging=TablePolicy(
                actions=actions,
                default={"a0": 0.4, "a1": 0.3, "a2": 0.2, "a3": 0.1},
                rules=[
                    PolicyRule(
                        when={"segment": "vip"},
                        probabilities={"a0": 0.1, "a1": 0.2, "a2": 0.15, "a3": 0.55},
                    )
                ],
            ),
        )

    @property
    def actions(self) -> list[str]:
        return list(self.logging.actions)

    def mean_reward(self, context: Context, action: str) -> float:
        """The true expected reward μ(x, a)."""
        return self.base[str(context["segment"])][action] + self.slope[action] * float(context["u"])

    def true_value(self, policy: Policy) -> float:
        """V(π), exact: π here may depend on the segment only (u enters linearly, E[u] = 1/2)."""
        total = 0.0
        for segment, ps in self.segment_probs.items():
            probs = policy.probabilities({"segment": segment, "u": 0.5})
            total += ps * sum(
                p * self.mean_reward({"segment": segment, "u": 0.5}, a) for a, p in probs.items()
            )
        return total

    def sample(self, n: int, *, seed: int) -> list[LoggedDecision]:
        """``n`` logged decisions of the old policy."""
        rng = random.Random(seed)
        segments, weights = list(self.segment_probs), list(self.segment_probs.values())
        out = []
        for i in range(n):
            context: dict[str, str | float] = {
                "segment": rng.choices(segments, weights)[0],
                "u": rng.random(),
            }
            probs = self.logging.probabilities(context)
            actions = list(probs)
            action = rng.choices(actions, [probs[a] for a in actions])[0]
            reward = 1.0 if rng.random() < self.mean_reward(context, action) else 0.0
            out.append(
                LoggedDecision(
                    context, action, probs[action], reward, id=str(i), source=f"draw:{i}"
                )
            )
        return out


def validate_estimators(
    bandit: SyntheticBandit,
    policy: Policy,
    *,
    draws: int = 100,
    n: int = 500,
    clip: float = 10.0,
    resamples: int = 500,
    seed: int = 0,
    estimators: Sequence[str] = ESTIMATORS,
) -> dict[str, dict[str, float]]:
    """Repeat logging + estimation ``draws`` times and compare with the exact value.

    Returns:
        Estimator → ``coverage`` (share of 95% CIs holding the true value), ``bias`` (mean
        error), ``rmse``, ``sd`` (of the estimates), ``mean_width`` (of the CIs) and
        ``true_value``.
    """
    truth = bandit.true_value(policy)
    errors: dict[str, list[float]] = {e: [] for e in estimators}
    covered: dict[str, int] = dict.fromkeys(estimators, 0)
    widths: dict[str, list[float]] = {e: [] for e in estimators}
    for draw in range(draws):
        log = bandit.sample(n, seed=seed * 100_003 + draw)
        report = off_policy_evaluate(
            log,
            policy,
            reward_model=fit_reward_model(log) if "dr" in estimators else None,
            clip=clip,
            estimators=estimators,
            resamples=resamples,
            seed=draw,
        )
        for name, est in report.estimates.items():
            e = est.estimate
            errors[name].append(e.value - truth)
            covered[name] += e.low <= truth <= e.high
            widths[name].append(e.high - e.low)
    out: dict[str, dict[str, float]] = {}
    for name in estimators:
        errs = errors[name]
        bias = sum(errs) / len(errs)
        out[name] = {
            "true_value": truth,
            "coverage": covered[name] / draws,
            "bias": bias,
            "rmse": math.sqrt(sum(x * x for x in errs) / len(errs)),
            "sd": math.sqrt(sum((x - bias) ** 2 for x in errs) / max(1, len(errs) - 1)),
            "mean_width": sum(widths[name]) / len(widths[name]),
        }
    return out
