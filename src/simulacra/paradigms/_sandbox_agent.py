"""A sandbox agent's state, and its side of an encounter's dialogue."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from simulacra.conversation import ParticipantInfo, View
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.paradigms._sandbox_memory import MemoryStream
from simulacra.paradigms._sandbox_options import PlanItem
from simulacra.participants import Reply, call_ref, clean_utterance
from simulacra.prompts import get_template

__all__ = ["Agent", "Speaker"]


@dataclass
class Agent:
    """One agent's state: who it is, its memory stream, where it is, its plan."""

    id: str
    info: ParticipantInfo
    system: ChatMessage
    refs: list[str]
    memory: MemoryStream
    location: str
    plan: list[PlanItem] = field(default_factory=list)
    activity: str = ""

    def planned(self, hour: int) -> PlanItem | None:
        """The plan's latest entry at or before ``hour``."""
        return max((p for p in self.plan if p.hour <= hour), key=lambda p: p.hour, default=None)


class Speaker:
    """An agent's side of one encounter: answers from its retrieved memories and the dialogue."""

    def __init__(
        self,
        agent: Agent,
        model: Model,
        *,
        step: int,
        hour: int,
        location: str,
        others: list[str],
        memory_k: int,
        seed: int,
    ) -> None:
        self.agent, self.model, self.step, self.hour = agent, model, step, hour
        self.location, self.others, self.memory_k, self.seed = location, others, memory_k, seed
        self.info = agent.info

    async def respond(self, view: View) -> Reply:
        agent = self.agent
        query = next(
            (m.content for m in reversed(view.messages) if m.role == "user"),
            f"{' and '.join(self.others)} at the {self.location}",
        )
        hits = agent.memory.retrieve(query, step=self.step, k=self.memory_k)
        template = get_template("sandbox/dialogue")
        prompt = template.render(
            hour=self.hour,
            location=self.location,
            activity=agent.activity,
            others=self.others,
            memories=[m.text for m in hits],
            transcript=view.transcript(self_label="You"),
        )
        stops = [f"\n{n}:" for n in self.others] + ["\nYou:", "\n\n"]
        output = await self.model.generate(
            [agent.system, ChatMessage(role="user", content=prompt)],
            config=GenerateConfig(seed=self.seed + view.turn_index, stop=stops),
            templates=[*agent.refs, template.ref],
        )
        text = clean_utterance(output.text, name=agent.info.name, other_names=self.others)
        # Small models often open with a speaker label (their own or another's): it is not said.
        names = "|".join(re.escape(n) for n in [agent.info.name, *self.others, "You"])
        unlabelled = re.sub(rf"^(?:{names})\s*:\s*", "", text)
        if unlabelled != text:
            text = clean_utterance(unlabelled, name=agent.info.name, other_names=self.others)
        return Reply(
            utterance=text,
            model_calls=[call_ref(self.model, output)],
            metadata={"memory_ids": ",".join(m.id for m in hits)},
        )
