"""The conversations of ``simulacra play`` in which the person's seat replaces a participant that
the config's paradigm would build: the human_ai user seat, a human_human person, a group chat
member or assistant. Each mirrors the paradigm's own construction (same ids, names, prompts and
seeds) with one participant swapped for the person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulacra.conversation import Conversation, Turn
from simulacra.models import GenerateConfig, Model
from simulacra.orchestration import LLMModerator, TurnPolicy, WeightedRandom, run_conversation
from simulacra.paradigms._group_chat import _group_instructions
from simulacra.paradigms._human_human import DEFAULT_PEER_GOAL, _person_ids
from simulacra.paradigms.group_chat import GroupAssistant, run_group_chat
from simulacra.participants import HumanParticipant, Participant, PromptedUser
from simulacra.profiles import GeneralUser
from simulacra.runs._config import RunConfig
from simulacra.runs._items import WorkItem, _build_target, _stop_conditions, converse_user_target

__all__ = ["group_chat_seat", "human_ai_user_seat", "human_human_seat"]


def _brief(*parts: str | None) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


async def human_ai_user_seat(
    config: RunConfig, item: WorkItem, models: Mapping[str, Model], human: HumanParticipant
) -> Conversation:
    target = _build_target(config, dict(models))
    assert target is not None
    try:
        return await converse_user_target(config, item, human, target)
    finally:
        aclose = getattr(target, "aclose", None)
        if aclose is not None:
            await aclose()


async def human_human_seat(
    config: RunConfig, item: WorkItem, models: Mapping[str, Model], human: HumanParticipant
) -> Conversation:

    options: Any = config.paradigm_options
    scenario = item.scenario
    ids = _person_ids(options.people)
    people: list[Participant] = []
    for pid, p in zip(ids, options.people, strict=True):
        if pid == human.info.id:
            people.append(human)
            continue
        people.append(
            PromptedUser(
                models[p.model or options.model],
                goal=p.goal or DEFAULT_PEER_GOAL,
                profile=p.profile,
                id=pid,
                instructions=_brief(f"The situation: {scenario.goal}", scenario.instructions),
                framing="peer",
                config=GenerateConfig(seed=item.seed),
            )
        )
    opening = [Turn(speaker=ids[0], utterance=scenario.opening)] if scenario.opening else []
    return await run_conversation(
        people,
        policy="alternate",
        stop=_stop_conditions(config, scenario),
        conversation_id=item.id,
        scenario_id=scenario.id,
        opening=opening,
        metadata={"people": ",".join(ids)},
    )


async def group_chat_seat(
    config: RunConfig, item: WorkItem, models: Mapping[str, Model], human: HumanParticipant
) -> Conversation:

    options: Any = config.paradigm_options
    scenario = item.scenario
    users: list[Participant] = []
    for i, spec in enumerate(options.users):
        if spec.id == human.info.id:
            users.append(human)
            continue
        profile = (spec.profile or GeneralUser()).model_copy(update={"name": spec.display_name()})
        users.append(
            PromptedUser(
                models[options.user_model],
                goal=spec.goal or scenario.goal,
                profile=profile,
                id=spec.id,
                instructions=_brief(
                    _group_instructions(options, spec, scenario.goal), scenario.instructions
                ),
                config=GenerateConfig(seed=(item.seed + i) % 2**32),
            )
        )
    a = options.assistant
    assistant: Participant = human
    if a.id != human.info.id:
        assistant = GroupAssistant(
            models[a.model],
            system_prompt=a.system_prompt,
            id=a.id,
            name=a.name,
            decide=a.decide,
            decision_model=models[a.decision_model] if a.decision_model else None,
            history=a.history,
            config=GenerateConfig(seed=item.seed),
        )
    policy: str | TurnPolicy = options.policy
    if options.policy == "weighted_random":
        policy = WeightedRandom(options.weights, seed=item.seed)
    elif options.policy == "moderator":
        policy = LLMModerator(models[options.moderator], instructions=f"Topic: {scenario.goal}")
    return await run_group_chat(
        users,
        assistant,
        policy=policy,
        offer=a.offer,
        first_speaker=options.first_speaker,
        stop=_stop_conditions(config, scenario),
        conversation_id=item.id,
        scenario_id=scenario.id,
        opening=scenario.opening,
        metadata={"policy": options.policy},
    )
