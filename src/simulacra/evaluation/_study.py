"""Studies: several run directories evaluated as one (``simulacra fidelity RUN RUN ...``,
``simulacra eval audit RUN RUN ...``), each conversation keeping its own run's goals; pairing of
simulated and real conversations by any scenario id; flags for distributions that the
``max_turns`` cap, not the simulated user, decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.conversation import Conversation, TerminationReason
from simulacra.errors import ConfigError
from simulacra.evaluation._population import Population, run_population

if TYPE_CHECKING:
    from simulacra.evaluation._fidelity_baseline import RealBaseline
    from simulacra.scenarios import TaskGoal

__all__ = ["large_baseline", "max_turns_flags", "pair_conversations", "study_population"]

MAX_TURNS_SHARE = 0.5
"""A distribution is flagged when more than this share of simulated dialogues hit max_turns."""


def study_population(sources: Sequence[str | Path]) -> Population:
    """The conversations of several run directories, each with its own run's goals.

    Goals are looked up per conversation (:attr:`Population.own`); ``goals``/``tasks`` by
    scenario id keep only the ids whose goal is the same in every run (a scenario id that
    means different goals in different runs is never resolved by id).

    Raises:
        ConfigError: A source that is not a run directory, or the same directory twice.
    """
    paths = [Path(s) for s in sources]
    if not paths:
        raise ConfigError("a study needs at least one run directory")
    seen: set[Path] = set()
    populations = []
    for path in paths:
        if not path.is_dir():
            raise ConfigError(f"{path}: run directory not found")
        if path.resolve() in seen:
            raise ConfigError(f"{path}: given twice (each run of a study once)")
        seen.add(path.resolve())
        populations.append(run_population(path))
    if len(populations) == 1:
        return populations[0]
    conversations: list[Conversation] = []
    own: dict[int, tuple[str, TaskGoal | None]] = {}
    goals: dict[str, str] = {}
    tasks: dict[str, TaskGoal] = {}
    clash: set[str] = set()
    for pop in populations:
        for c in pop.conversations:
            conversations.append(c)
            own[id(c)] = (pop.goal_of(c), pop.task_of(c))
        for sid, goal in pop.goals.items():
            task = pop.tasks.get(sid)
            if sid in goals and (goals[sid] != goal or tasks.get(sid) != task):
                clash.add(sid)
            goals.setdefault(sid, goal)
            if task is not None:
                tasks.setdefault(sid, task)
    for sid in clash:
        goals.pop(sid, None)
        tasks.pop(sid, None)
    source = " + ".join(str(p) for p in paths)
    return Population(source, conversations, goals, tasks, "study", own)


def _keys(c: Conversation) -> list[str]:
    keys = [c.id]
    if c.scenario_id:
        keys.append(c.scenario_id)
    dialogue = c.metadata.get("corpus.dialogue_id")
    if isinstance(dialogue, str):
        keys.append(dialogue)
    return keys


def pair_conversations(
    simulated: Sequence[Conversation], reference: Sequence[Conversation]
) -> tuple[list[Conversation], int]:
    """The real conversations of the simulated ones' goals, and how many simulated ones found
    theirs: a simulated conversation's scenario id is matched with a real conversation's id
    (``scenarios_from`` keeps it as the scenario id), its scenario id (a goal id mapped with
    the generic adapter's ``fields.scenario_id``) or its corpus dialogue id. Without any match,
    the whole reference and 0."""
    index: dict[str, list[Conversation]] = {}
    for r in reference:
        for key in _keys(r):
            index.setdefault(key, []).append(r)
    wanted: dict[int, Conversation] = {}
    paired = 0
    for c in simulated:
        found = index.get(c.scenario_id or "")
        if found:
            paired += 1
            for r in found:
                wanted.setdefault(id(r), r)
    if not paired:
        return list(reference), 0
    return list(wanted.values()), paired


def max_turns_flags(
    simulated: Sequence[Conversation], *, share: float = MAX_TURNS_SHARE
) -> dict[str, str]:
    """Quantities whose simulated distribution is set by the ``max_turns`` cap (more than
    ``share`` of the dialogues ended there): name → why."""
    if not simulated:
        return {}
    capped = sum(1 for c in simulated if c.termination == TerminationReason.MAX_TURNS)
    if capped / len(simulated) <= share:
        return {}
    why = (
        f"{capped} of {len(simulated)} simulated dialogues ended at max_turns: the cap, not the "
        "user, sets this distribution (raise stop.max_turns)"
    )
    return {"user_turns_per_dialogue": why, "ended_by": why}


def large_baseline(
    reference: Sequence[object], *, seed: int = 0, resamples: int = 500
) -> RealBaseline | None:
    """Real against real on the two halves of the whole reference (the large-sample view
    beside the baseline sized like the simulated sample); ``None`` when too small."""
    from simulacra.evaluation._fidelity_baseline import _baseline, _halves, _require

    _require()
    pool = list(reference)
    halves = _halves(pool, pool, False, len(pool), seed=seed)  # type: ignore[arg-type]
    return _baseline(halves, seed=seed, resamples=resamples)
