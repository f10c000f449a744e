"""Prompt-based simulated users (survey §5.1)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from simulacra.conversation import ParticipantInfo, ParticipantKind, View
from simulacra.memory import Hit, Passage, Retriever, make_retriever
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.participants._noise import add_typos, knob_rng, shorten, word_budget
from simulacra.participants._protocol import Reply, call_ref
from simulacra.participants._render import render_profile
from simulacra.profiles import GeneralUser, Individual, Profile
from simulacra.prompts import get_template

__all__ = ["STOP_SENTINEL", "PromptedUser", "Prompting", "clean_utterance", "render_profile"]

STOP_SENTINEL = "###STOP###"
_PLACEHOLDER = re.compile(r" ?\[(?:NAME_\d+|EMAIL|PHONE|URL|CARD|ADDRESS)\]")

Prompting = Literal["transcript", "chat"]

_REASONING_SCHEMA = {
    "type": "object",
    "properties": {"thought": {"type": "string"}, "message": {"type": "string"}},
    "required": ["thought", "message"],
}


def clean_utterance(text: str, *, name: str, other_names: Sequence[str]) -> str:
    """Strip what small models add around a message: a speaker label, wrapping quotes, and any
    continuation of the transcript into another speaker's turn."""
    text = text.strip()
    own = (name, "You", "you", "User", "user", "USER")
    # A model that continues the transcript may start with the other side's line and only then
    # write ours: keep our line.
    for other in other_names:
        if re.match(rf"\s*{re.escape(other)}\s*:", text):
            mine = re.search(rf"(?m)^\s*(?:{'|'.join(map(re.escape, own))})\s*:", text)
            if mine:
                text = text[mine.start() :].strip()
            break
    for label in own:
        for sep in (":", " :"):
            if text.startswith(label + sep):
                text = text[len(label) + len(sep) :].strip()
    for other in other_names:
        match = re.search(rf"(?m)^\s*{re.escape(other)}\s*:", text)
        if match and match.start() > 0:
            text = text[: match.start()].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    if text.startswith("“") and text.endswith("”"):
        text = text[1:-1].strip()
    return text


class PromptedUser:
    """A simulated user produced by prompting a model: ``u_t ~ P(u_t | C_{t-1}, Ψ_p)``.

    Two prompting techniques:

    - ``"transcript"`` (default): the whole conversation is rendered as a transcript inside one
      message, followed by "write only <name>'s next message". The model never sees the system
      under test's turns in the ``user`` role, so it does not slip into answering as the assistant,
      and consecutive turns share a stable prompt prefix (cheap with KV reuse).
    - ``"chat"``: the naive form — history as chat messages with the roles flipped. Kept as the
      measured baseline.

    Args:
        model: The model that plays the user.
        goal: What the user wants from the conversation (private to the user).
        profile: Who the user is (default: :class:`~simulacra.profiles.GeneralUser`).
        id: Participant id.
        prompting: ``"transcript"`` or ``"chat"``.
        exemplars: Few-shot examples of real user messages.
        reasoning: Ask for hidden chain-of-thought (JSON-constrained), logged on the turn.
        instructions: Extra scenario instructions appended to the system prompt.
        stop_sentinel: The string with which the user ends the conversation.
        retriever: Where to look up memories each turn. Default: for an
            :class:`~simulacra.profiles.Individual` (or a hybrid with one) that has memories,
            a retriever of its ``retrieval`` kind over the memories not already among its facts.
            The query is the other side's last message (the goal on the first turn); the top
            ``memory_k`` hits go into the prompt and their ids onto the turn (``memory_ids``,
            comma-separated).
        enforce_verbosity: Trim a terse persona's (verbosity < 1/3) long messages to its word
            budget (recorded as ``shortened`` on the turn), as typos and dropout are applied.
        config: Per-call generation options.
        framing: Who the other side is: ``"assistant"`` (default; the user is a customer of an
            AI system) or ``"peer"`` (another person: human-human simulation; templates
            ``user/peer_system`` and ``user/peer_turn``; needs ``prompting="transcript"``).
    """

    def __init__(
        self,
        model: Model,
        *,
        goal: str,
        profile: Profile | None = None,
        id: str = "user",
        prompting: Prompting = "transcript",
        exemplars: Sequence[str] = (),
        reasoning: bool = False,
        instructions: str | None = None,
        stop_sentinel: str = STOP_SENTINEL,
        enforce_verbosity: bool = True,
        retriever: Retriever | None = None,
        config: GenerateConfig | None = None,
        framing: Literal["assistant", "peer"] = "assistant",
    ) -> None:
        if prompting not in ("transcript", "chat"):
            raise ValueError(f"prompting must be 'transcript' or 'chat', got {prompting!r}")
        if framing not in ("assistant", "peer") or (framing == "peer" and prompting == "chat"):
            raise ValueError("framing must be 'assistant', or 'peer' with prompting='transcript'")
        self.framing = framing
        self.model = model
        self.goal = goal
        self.profile: Profile = profile or GeneralUser()
        self.prompting = prompting
        self.exemplars = list(exemplars)
        self.reasoning = reasoning
        self.instructions = instructions
        self.stop_sentinel = stop_sentinel
        self.enforce_verbosity = enforce_verbosity
        self.config = config
        self.info = ParticipantInfo(
            id=id,
            name=self.profile.name,
            kind=ParticipantKind.SIMULATED_HUMAN,
            profile=self.profile,
        )
        self._profile_text, self._profile_ref = render_profile(self.profile)
        self._system_cache: dict[str, tuple[ChatMessage, str]] = {}
        self._config_cache: dict[tuple[str, ...], GenerateConfig] = {}
        lines: list[str] = getattr(self.profile, "behaviour_lines", list)()
        self._style = " ".join(lines) if lines else None
        individual = _individual_of(self.profile)
        self.memory_k = individual.memory_k if individual is not None else 3
        self.retriever = retriever if retriever is not None else _memory_retriever(individual)

    def recall(self, view: View) -> list[Hit]:
        """The memories that may matter for the next turn (none without a retriever)."""
        if self.retriever is None:
            return []
        query = next((m.content for m in reversed(view.messages) if m.role == "user"), self.goal)
        return self.retriever.search(query, self.memory_k)

    def _system(self, template_id: str, common: Mapping[str, object]) -> tuple[ChatMessage, str]:
        # The system prompt depends only on this user's fixed settings: render it once.
        cached = self._system_cache.get(template_id)
        if cached is None:
            template = get_template(template_id)
            cached = (ChatMessage(role="system", content=template.render(**common)), template.ref)
            self._system_cache[template_id] = cached
        return cached

    def build_messages(
        self, view: View, *, memories: Sequence[Hit] | None = None, hint: str | None = None
    ) -> tuple[list[ChatMessage], list[str]]:
        """The request for this view, and the refs of the templates used.

        Args:
            view: This user's view of the conversation.
            memories: Retrieved memories to show (default: :meth:`recall` on ``view``).
            hint: Why the previous draft of this turn was rejected (validity gate).
        """
        name = self.info.name
        recalled = [h.text for h in (self.recall(view) if memories is None else memories)]
        common = {
            "name": name,
            "profile": self._profile_text,
            "goal": self.goal,
            "instructions": self.instructions,
            "exemplars": self.exemplars,
            "stop_sentinel": self.stop_sentinel,
            "custom_style": self._style is not None,
        }
        if self.prompting == "transcript":
            peer = self.framing == "peer"
            system_id = "user/peer_system" if peer else "user/transcript_system"
            system, system_ref = self._system(system_id, common)
            turn = get_template("user/peer_turn" if peer else "user/transcript_turn")
            messages = [
                system,
                ChatMessage(
                    role="user",
                    content=turn.render(
                        name=name,
                        others=" and ".join(p.name for p in view.others)
                        or ("the other person" if peer else "the assistant"),
                        transcript=view.transcript(self_label="You"),
                        reasoning=self.reasoning,
                        style=self._style,
                        can_stop=any(m.role == "assistant" for m in view.messages)
                        and any(m.role == "user" for m in view.messages),
                        stop_sentinel=self.stop_sentinel,
                        memories=recalled,
                        hint=hint,
                    ),
                ),
            ]
            return messages, [self._profile_ref, system_ref, turn.ref]
        if recalled:  # the system prompt changes with what is recalled: not cached
            chat_system = get_template("user/chat_system")
            system = ChatMessage(
                role="system", content=chat_system.render(**common, memories=recalled)
            )
            system_ref = chat_system.ref
        else:
            system, system_ref = self._system("user/chat_system", {**common, "memories": []})
        messages = [system]
        refs = [self._profile_ref, system_ref]
        if not view.messages or view.messages[0].role == "assistant":
            kickoff = get_template("user/chat_kickoff")
            messages.append(ChatMessage(role="user", content=kickoff.render()))
            refs.append(kickoff.ref)
        messages.extend(ChatMessage(role=m.role, content=m.content) for m in view.messages)
        if hint:
            last = messages[-1]
            if last.role == "user":
                messages[-1] = ChatMessage(role="user", content=f"{last.content}\n\n({hint})")
            else:
                messages.append(ChatMessage(role="user", content=f"({hint})"))
        return messages, refs

    def _call_config(self, others: tuple[str, ...]) -> GenerateConfig:
        config = self._config_cache.get(others)
        if config is None:
            config = GenerateConfig(
                stop=[f"\n{n}:" for n in others] if self.prompting == "transcript" else None,
                json_schema=_REASONING_SCHEMA if self.reasoning else None,
            ).merged(self.config)
            self._config_cache[others] = config
        return config

    async def regenerate(self, view: View, *, attempt: int, hint: str) -> Reply:
        """Another draft of the turn for ``view`` (validity gate): a new seed derived from the
        configured one and ``attempt``, and ``hint`` (why the last draft was rejected) shown
        to the model."""
        return await self.respond(view, hint=hint or None, attempt=attempt)

    async def respond(
        self,
        view: View,
        *,
        memories: Sequence[Hit] | None = None,
        hint: str | None = None,
        attempt: int = 0,
    ) -> Reply:
        """The next message for ``view``; ``memories`` replaces :meth:`recall` when given (by a
        wrapper that retrieves context itself: :class:`~simulacra.participants.AugmentedUser`).
        ``hint`` and ``attempt`` are the validity gate's (see :meth:`regenerate`)."""
        if memories is not None:
            hits = list(memories)
        else:
            hits = await asyncio.to_thread(self.recall, view) if self.retriever is not None else []
        messages, refs = self.build_messages(view, memories=hits, hint=hint)
        others = [p.name for p in view.others]
        per_call = self._call_config(tuple(others))
        if attempt:
            base = per_call.seed if per_call.seed is not None else 0
            per_call = per_call.merged(GenerateConfig(seed=base + 7919 * attempt))
        output = await self.model.generate(messages, config=per_call, templates=refs)
        text, thought = output.text, None
        if self.reasoning:
            try:
                parsed = json.loads(text)
                text, thought = str(parsed["message"]), str(parsed["thought"])
            except (ValueError, KeyError, TypeError):
                thought = None
        # Small models garble the sentinel ("### STOP###", "##STOP"): accept its variants.
        core = re.escape(self.stop_sentinel.strip("#").strip())
        pattern = (
            rf"#+\s*{core}\s*#*"
            if self.stop_sentinel.startswith("#")
            else re.escape(self.stop_sentinel)
        )
        stop = re.search(pattern, text) is not None
        text = clean_utterance(re.sub(pattern, "", text), name=self.info.name, other_names=others)
        metadata: dict[str, str | int | float | bool | None] = {}
        if self.retriever is not None or memories is not None:
            metadata["memory_ids"] = ",".join(h.id for h in hits)
        if _individual_of(self.profile) is not None and _PLACEHOLDER.search(text):
            # Small models copy redaction placeholders from the exemplars ("Hey [NAME_1]!").
            text, removed = _PLACEHOLDER.subn("", text)
            text = re.sub(r"\s+([,.!?])", r"\1", re.sub(r"  +", " ", text)).strip()
            metadata["placeholders_removed"] = removed
        behaviour = getattr(self.profile, "behaviour", None)
        budget = word_budget(behaviour.verbosity) if behaviour is not None else None
        if budget is not None and self.enforce_verbosity and text:
            shorter = shorten(text, budget)
            if shorter != text:
                text = shorter
                metadata["shortened"] = True
        if behaviour is not None and (behaviour.typo_rate or behaviour.dropout):
            seed = self.config.seed if self.config else None
            rng = knob_rng(seed, view.conversation_id, view.turn_index)
            if behaviour.typo_rate and text:
                text = add_typos(text, behaviour.typo_rate, rng)
            if behaviour.dropout and not stop and rng.random() < behaviour.dropout:
                stop = True
                metadata["dropped_out"] = True
        return Reply(
            utterance=text,
            reasoning=thought,
            stop=stop,
            model_calls=[call_ref(self.model, output)],
            metadata=metadata,
        )


def _individual_of(profile: Profile) -> Individual | None:
    if isinstance(profile, Individual):
        return profile
    for part in getattr(profile, "parts", None) or []:
        if isinstance(part, Individual):
            return part
    return None


def _memory_retriever(individual: Individual | None) -> Retriever | None:
    if individual is None or individual.retrieval == "none":
        return None
    shown = set(individual.facts)
    passages: list[Passage] = []
    texts: set[str] = set()
    for memory in individual.memories:
        if memory.text in shown or memory.text in texts:
            continue  # facts are in every prompt already
        texts.add(memory.text)
        passages.append(Passage(id=memory.id, text=memory.text))
    return make_retriever(individual.retrieval, passages) if passages else None
