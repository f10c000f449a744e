"""Rewards of the conversation environment: a sparse end reward of the finished conversation
and optional per-step shaping. Any function of the conversation (sync or async) works."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from simulacra.conversation import Conversation, TerminationReason
from simulacra.evaluation import JudgeItem, Verdict, conversation_items
from simulacra.participants import TaskGoal, task_success

__all__ = [
    "RewardFn",
    "goal_reached_reward",
    "judge_reward",
    "task_success_reward",
    "turn_penalty",
]

RewardFn = Callable[[Conversation], float | Awaitable[float]]
"""A reward of the conversation so far (the end reward, or per-step shaping)."""


def goal_reached_reward(conversation: Conversation) -> float:
    """1 when the episode ended ``goal_reached`` (a scenario's task was fulfilled), else 0."""
    return 1.0 if conversation.termination == TerminationReason.GOAL_REACHED else 0.0


def task_success_reward(task: TaskGoal, *, partial: bool = False) -> RewardFn:
    """1 when the agent fulfilled ``task`` (lexical check); with ``partial``, the mean of the
    inform rate, request rate and booking (a denser signal)."""

    def reward(conversation: Conversation) -> float:
        result = task_success(task, conversation)
        if not partial:
            return float(result.success)
        return (result.inform_rate + result.request_rate + float(result.booked)) / 3

    return reward


class _Judge(Protocol):
    async def judge(self, items: list[JudgeItem]) -> list[Verdict]: ...


def judge_reward(judge: _Judge, *, low: float = 1.0, high: float = 5.0) -> RewardFn:
    """A judge's overall score of the whole conversation, mapped from ``[low, high]`` (the
    rubric's scale) to [0, 1]; 0 when the judge gives no score."""

    async def reward(conversation: Conversation) -> float:
        items = conversation_items([conversation], level="dialogue")
        verdicts = await judge.judge(items)
        score = verdicts[0].overall if verdicts else None
        if score is None:
            return 0.0
        return min(1.0, max(0.0, (score - low) / (high - low)))

    return reward


def turn_penalty(cost: float = 0.01) -> RewardFn:
    """Shaping: ``-cost`` per agent turn (prefer shorter conversations)."""

    def shaping(conversation: Conversation) -> float:
        return -cost

    return shaping
