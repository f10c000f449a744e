"""What the population measures read: the conversations of a run directory with the goals of
its scenarios, or real MultiWOZ dialogues (the human reference) as conversations.

A run's goals come from its ``run.json`` (the config it ran, scenarios included, also those
read with ``scenarios_from``). A MultiWOZ dialogue becomes a conversation between a ``human``
user and an ``ai_system``, its user turns labelled with their dialogue acts (``acts``
metadata, as the agenda user writes them) and its goal the crowd worker's instruction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulacra.conversation import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    Turn,
)
from simulacra.errors import ConfigError
from simulacra.log import read_conversations, read_run
from simulacra.scenarios import TaskGoal, format_acts

__all__ = ["Population", "corpus_population", "load_population", "run_population"]

_CORPUS_SUFFIXES = (".json", ".zip")


@dataclass
class Population:
    """Conversations and what their simulated (or real) users were asked to do.

    Attributes:
        source: The run directory or corpus file.
        conversations: The conversations.
        goals: Scenario id → the goal in words.
        tasks: Scenario id → the structured goal, where there is one.
        kind: ``run``, ``corpus`` or ``study`` (several runs,
            :func:`simulacra.evaluation._study.study_population`).
        own: Per conversation (by object identity), its own run's goal in words and structured
            goal, ahead of ``goals``/``tasks`` (a study whose runs reuse scenario ids).
    """

    source: str
    conversations: list[Conversation]
    goals: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, TaskGoal] = field(default_factory=dict)
    kind: str = "run"
    own: dict[int, tuple[str, TaskGoal | None]] = field(default_factory=dict)

    def goal_of(self, conversation: Conversation) -> str:
        """The goal in words of a conversation's scenario (``""`` when unknown)."""
        if id(conversation) in self.own:
            return self.own[id(conversation)][0]
        return self.goals.get(conversation.scenario_id or "", "")

    def task_of(self, conversation: Conversation) -> TaskGoal | None:
        """The structured goal of a conversation's scenario, if any."""
        if id(conversation) in self.own:
            return self.own[id(conversation)][1]
        return self.tasks.get(conversation.scenario_id or "")


def run_population(run_dir: str | Path) -> Population:
    """A run directory's conversations and scenario goals.

    Raises:
        ConfigError: Not a run directory, or a corrupted record.
    """
    directory = Path(run_dir)
    if not directory.is_dir():
        raise ConfigError(f"run directory not found: {directory}")
    manifest = read_run(directory)
    goals: dict[str, str] = {}
    tasks: dict[str, TaskGoal] = {}
    config: Any = manifest.get("config")
    scenarios = config.get("scenarios") if isinstance(config, Mapping) else None
    for scenario in scenarios or []:
        if not isinstance(scenario, Mapping) or "id" not in scenario:
            continue
        sid = str(scenario["id"])
        goals[sid] = str(scenario.get("goal") or "")
        if scenario.get("task"):
            try:
                tasks[sid] = TaskGoal.parse(
                    scenario["task"],
                    source=f"{directory}/run.json: scenario {sid}: task",
                    open_goals=True,
                )
            except ConfigError:
                continue  # an unreadable structured goal: the rules that need it skip it
    return Population(str(directory), list(read_conversations(directory)), goals, tasks, "run")


def _corpus_conversation(dialogue: Any) -> Conversation:

    turns = [
        Turn(
            speaker="user" if t.speaker == "user" else "system",
            utterance=t.text,
            time=0.0,
            metadata={"acts": format_acts(t.acts)} if t.speaker == "user" else {},
        )
        for t in dialogue.turns
    ]
    last = turns[-1].speaker if turns else None
    return Conversation(
        id=dialogue.id,
        scenario_id=f"multiwoz:{dialogue.id}",
        participants=[
            ParticipantInfo(id="user", name="User", kind=ParticipantKind.HUMAN),
            ParticipantInfo(id="system", name="System", kind=ParticipantKind.AI_SYSTEM),
        ],
        turns=turns,
        termination=TerminationReason.USER_STOP
        if last == "user"
        else TerminationReason.TARGET_STOP,
        ended_by=last,
        metadata={"corpus": "MultiWOZ 2.1", "source": str(dialogue.provenance)},
    )


def corpus_population(
    path: str | Path, *, limit: int | None = None, domains: Iterable[str] | None = None
) -> Population:
    """Real MultiWOZ 2.1 dialogues as conversations (see the module docstring).

    Raises:
        ConfigError: A missing or unreadable file (one line naming it).
    """
    from simulacra.datasets import multiwoz_dialogues

    conversations: list[Conversation] = []
    goals: dict[str, str] = {}
    tasks: dict[str, TaskGoal] = {}
    for d in multiwoz_dialogues(path, with_turns=True, domains=domains, limit=limit):
        c = _corpus_conversation(d)
        conversations.append(c)
        sid = c.scenario_id or d.id
        goals[sid] = d.goal.description
        tasks[sid] = d.goal
    return Population(str(path), conversations, goals, tasks, "corpus")


def load_population(
    source: str | Path, *, limit: int | None = None, domains: Iterable[str] | None = None
) -> Population:
    """A run directory, or a MultiWOZ file (``.json`` / ``.zip``) read as the real reference.

    ``limit`` and ``domains`` apply to a corpus file only.

    Raises:
        ConfigError: When it is neither.
    """
    path = Path(source)
    if path.is_file() and path.name.endswith(_CORPUS_SUFFIXES):
        return corpus_population(path, limit=limit, domains=domains)
    if path.is_file():
        raise ConfigError(f"{path}: expected a run directory or a MultiWOZ .json/.zip file")
    return run_population(path)
