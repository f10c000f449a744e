"""Reinforcement learning against simulated users (survey §5.4): a Gymnasium environment in
which an agent policy converses with a simulated user, with pluggable rewards.

Needs the ``rl`` extra (``pip install 'simulacra[rl]'``) for :class:`ConversationEnv`; the
scenarios and reward functions import without it. ``import simulacra.rl`` also registers the
environment id ``simulacra/Conversation-v0`` for ``gymnasium.make`` once ``ConversationEnv`` is
first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulacra.rl._rewards import (
    RewardFn,
    goal_reached_reward,
    judge_reward,
    task_success_reward,
    turn_penalty,
)
from simulacra.rl._scenarios import EnvScenario, scenarios_from_config

if TYPE_CHECKING:
    from simulacra.rl._env import CHARSET, ConversationEnv, UserFactory

__all__ = [
    "CHARSET",
    "ConversationEnv",
    "EnvScenario",
    "RewardFn",
    "UserFactory",
    "goal_reached_reward",
    "judge_reward",
    "scenarios_from_config",
    "task_success_reward",
    "turn_penalty",
]

_LAZY = {"CHARSET", "ConversationEnv", "UserFactory"}


def __getattr__(name: str) -> Any:
    # gymnasium is imported only when the environment is used (MissingExtraError names the
    # 'rl' extra when it is not installed).
    if name in _LAZY:
        from simulacra.rl import _env

        return getattr(_env, name)
    raise AttributeError(f"module 'simulacra.rl' has no attribute {name!r}")
