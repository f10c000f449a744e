"""Group chat: many simulated humans, one AI (survey §4.4, Appendix C.4; MUCA).

Importing :mod:`simulacra.paradigms` registers the ``group_chat`` paradigm. From Python::

    from simulacra.paradigms.group_chat import GroupAssistant, group_chat_report, run_group_chat

    conversation = await run_group_chat([ann, bob, cat], GroupAssistant(model), stop=...)
    report = group_chat_report(conversation)

The turn policies it uses live in :mod:`simulacra.orchestration` (``round_robin``, ``addressed``,
:class:`~simulacra.orchestration.WeightedRandom`, :class:`~simulacra.orchestration.LLMModerator`).
"""

from simulacra.paradigms._group_assistant import GroupAssistant, pending_message
from simulacra.paradigms._group_chat import (
    GroupAssistantOptions,
    GroupChatOptions,
    GroupUserOptions,
    run_group_chat,
)
from simulacra.paradigms._group_metrics import (
    GroupChatReport,
    UserGoalCheck,
    UserTrajectory,
    addressee,
    group_chat_report,
    user_trajectories,
)

__all__ = [
    "GroupAssistant",
    "GroupAssistantOptions",
    "GroupChatOptions",
    "GroupChatReport",
    "GroupUserOptions",
    "UserGoalCheck",
    "UserTrajectory",
    "addressee",
    "group_chat_report",
    "pending_message",
    "run_group_chat",
    "user_trajectories",
]
