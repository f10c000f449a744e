"""Turn-taking policies: who speaks next.

A policy is ``policy(conversation, participants, addressed_id) -> id`` (or an awaitable of it).
Built in: ``alternate``, ``round_robin``, ``addressed`` (``@Name``), ``weighted_random``
(activity-weighted, seeded: :class:`WeightedRandom`), and an LLM moderator
(:class:`LLMModerator`, which needs a model and so is not in :data:`POLICIES`).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence

from simulacra.conversation import Conversation, ParticipantInfo
from simulacra.models import ChatMessage, GenerateConfig, Model

__all__ = [
    "POLICIES",
    "LLMModerator",
    "TurnPolicy",
    "WeightedRandom",
    "activity_weight",
    "addressed",
    "alternate",
    "get_policy",
    "mentioned",
    "round_robin",
]

TurnPolicy = Callable[[Conversation, Sequence[ParticipantInfo], str | None], str | Awaitable[str]]
"""``policy(conversation, participants, addressed_id) -> id of the next speaker`` (or an
awaitable of it, e.g. an LLM moderator).

``participants`` are in speaking order (the first speaks first); ``addressed_id`` is the id the last
speaker addressed, if any.
"""


def round_robin(
    conversation: Conversation, participants: Sequence[ParticipantInfo], addressed_id: str | None
) -> str:
    """Everyone in order, then again: the one after the most recent speaker among
    ``participants`` (the first when none of them has spoken yet).

    Turns by anyone else (an assistant between the users of a group chat) and passes do not
    disturb the rotation.
    """
    ids = [p.id for p in participants]
    position = {pid: i for i, pid in enumerate(ids)}
    turns = conversation.turns
    for i in range(len(turns) - 1, -1, -1):
        index = position.get(turns[i].speaker)
        if index is not None:
            return ids[(index + 1) % len(ids)]
    return ids[0]


def alternate(
    conversation: Conversation, participants: Sequence[ParticipantInfo], addressed_id: str | None
) -> str:
    """Two participants taking turns (round robin restricted to two)."""
    if len(participants) != 2:
        raise ValueError(f"the 'alternate' policy needs 2 participants, got {len(participants)}")
    return round_robin(conversation, participants, addressed_id)


def mentioned(
    text: str, participants: Sequence[ParticipantInfo], speaker: str | None = None
) -> str | None:
    """The id of the first participant (other than ``speaker``) named with ``@Name`` in ``text``
    (case-insensitive; the id works too), in order of appearance."""
    if "@" not in text:
        return None
    lowered = text.casefold()
    best: tuple[int, str] | None = None
    for p in participants:
        if p.id == speaker:
            continue
        for label in (p.name, p.id):
            tag = "@" + label.casefold()
            start = lowered.find(tag)
            while start >= 0:
                end = start + len(tag)
                if end == len(lowered) or not (lowered[end].isalnum() or lowered[end] == "_"):
                    if best is None or start < best[0]:
                        best = (start, p.id)
                    break
                start = lowered.find(tag, start + 1)
    return best[1] if best else None


def addressed(
    conversation: Conversation, participants: Sequence[ParticipantInfo], addressed_id: str | None
) -> str:
    """The participant the last speaker addressed (explicitly, or with ``@Name``) speaks next;
    otherwise the one after the last speaker in order."""
    if not conversation.turns:
        return participants[0].id
    last = conversation.turns[-1]
    ids = [p.id for p in participants]
    if addressed_id in ids and addressed_id != last.speaker:
        return addressed_id
    who = mentioned(last.utterance, participants, last.speaker)
    if who is not None:
        return who
    index = ids.index(last.speaker) if last.speaker in ids else -1
    return ids[(index + 1) % len(ids)]


def activity_weight(info: ParticipantInfo) -> float:
    """How often a participant tends to speak, from its profile (relative; default 1.0).

    The first of: a numeric ``activity`` attribute (``attributes: {activity: 2.5}``), Big Five
    extraversion ÷ 3, HEXACO extraversion ÷ 3 (so a neutral 3 on the 1–5 scale weighs 1.0, a
    strong extravert 5/3, an introvert 1/3). A hybrid profile uses its parts in precedence order.
    """
    profile = info.profile
    if profile is None:
        return 1.0
    ordered = getattr(profile, "ordered_parts", None)
    parts = ordered() if callable(ordered) else [profile]
    for part in parts:
        attributes = getattr(part, "attributes", None) or {}
        activity = attributes.get("activity")
        if isinstance(activity, int | float) and not isinstance(activity, bool) and activity >= 0:
            return float(activity)
        for traits in (getattr(part, "big_five", None), getattr(part, "hexaco", None)):
            extraversion = getattr(traits, "extraversion", None)
            if isinstance(extraversion, int | float):
                return float(extraversion) / 3.0
    return 1.0


class WeightedRandom:
    """Activity-weighted random turn-taking, deterministic given the seed.

    Each turn draws the next speaker with probability proportional to its weight: an explicit
    weight by participant id, else ``weight_of(info)`` (default :func:`activity_weight`). The
    draw for turn ``t`` depends only on ``(seed, t)`` and the candidates, so a rerun with the
    same seed takes the same turns. It ignores who was addressed.

    Args:
        weights: Explicit weights by participant id (>= 0).
        seed: The seed of the draws.
        weight_of: Weight of a participant without an explicit weight.
    """

    def __init__(
        self,
        weights: Mapping[str, float] | None = None,
        *,
        seed: int = 0,
        weight_of: Callable[[ParticipantInfo], float] = activity_weight,
    ) -> None:
        self.weights = dict(weights or {})
        bad = [k for k, w in self.weights.items() if not w >= 0]
        if bad:
            raise ValueError(f"weights must be >= 0 (got {bad[0]!r}: {self.weights[bad[0]]})")
        self.seed = seed
        self.weight_of = weight_of
        self._derived: dict[str, float] = {}

    def weights_for(self, participants: Sequence[ParticipantInfo]) -> list[float]:
        """The weight of each participant (equal weights if all are 0). A weight derived from
        a profile is computed once per participant id."""
        weights = []
        for p in participants:
            weight = self.weights.get(p.id)
            if weight is None:
                weight = self._derived.get(p.id)
                if weight is None:
                    weight = self._derived[p.id] = self.weight_of(p)
            weights.append(weight)
        return weights if sum(weights) > 0 else [1.0] * len(participants)

    def __call__(
        self,
        conversation: Conversation,
        participants: Sequence[ParticipantInfo],
        addressed_id: str | None,
    ) -> str:
        rng = random.Random(f"{self.seed}:{len(conversation.turns)}")
        chosen = rng.choices(participants, weights=self.weights_for(participants))[0]
        return chosen.id


_MODERATOR_SYSTEM = (
    "You moderate a group chat. From the chat so far, decide who should write the next "
    "message: someone who was asked a question, someone whose request is still open, or "
    "someone who has not spoken for a while."
)


class LLMModerator:
    """An async policy that asks a model "who speaks next?".

    The model answers JSON constrained by a schema (``{"next": <one of the names>}``). Every
    decision is kept in ``conversation.events``: ``{"type": "moderator", "turn", "chosen",
    "call_id"}``; when the call fails or times out, or the answer is malformed or names no
    participant, the ``fallback`` policy decides instead and the event is ``{"type":
    "moderator_fallback", "turn", "chosen", "reason", "raw"}``. It never raises for the model's
    failures and never waits longer than ``timeout``.

    Args:
        model: The moderator model.
        fallback: The policy used when the moderator's answer is unusable.
        instructions: Extra instructions (what the chat is about, who leads).
        history: How many recent turns the moderator sees.
        timeout: Seconds to wait for the model (``None``: no limit).
        config: Per-call generation options (default: at most 24 tokens).
    """

    def __init__(
        self,
        model: Model,
        *,
        fallback: str | TurnPolicy = "round_robin",
        instructions: str | None = None,
        history: int = 20,
        timeout: float | None = 120.0,
        config: GenerateConfig | None = None,
    ) -> None:
        self.model = model
        self.fallback = get_policy(fallback)
        self.instructions = instructions
        self.history = max(1, history)
        self.timeout = timeout
        self.config = GenerateConfig(max_tokens=24, temperature=0.0).merged(config)

    def build_messages(
        self, conversation: Conversation, participants: Sequence[ParticipantInfo]
    ) -> list[ChatMessage]:
        """The request: the recent chat and the names to choose from."""
        names = {p.id: p.name for p in conversation.participants}
        recent = conversation.turns[-self.history :]
        lines = [f"{names.get(t.speaker, t.speaker)}: {t.utterance}" for t in recent]
        chat = "\n".join(lines) if lines else "(nothing yet)"
        system = _MODERATOR_SYSTEM + (f"\n\n{self.instructions}" if self.instructions else "")
        choices = ", ".join(p.name for p in participants)
        prompt = (
            f"The chat so far:\n\n{chat}\n\nWho writes the next message? Choose one of: "
            f'{choices}. Answer in JSON: {{"next": "<name>"}}'
        )
        return [
            ChatMessage(role="system", content=system),
            ChatMessage(role="user", content=prompt),
        ]

    async def __call__(
        self,
        conversation: Conversation,
        participants: Sequence[ParticipantInfo],
        addressed_id: str | None,
    ) -> str:
        turn = len(conversation.turns)
        schema = {
            "type": "object",
            "properties": {"next": {"type": "string", "enum": [p.name for p in participants]}},
            "required": ["next"],
        }
        config = self.config.merged(GenerateConfig(json_schema=schema))
        messages = self.build_messages(conversation, participants)
        raw: str | None = None
        try:
            call = self.model.generate(messages, config=config)
            output = await asyncio.wait_for(call, self.timeout) if self.timeout else await call
        except TimeoutError:
            reason = f"no answer within {self.timeout:g}s"
        except Exception as exc:  # a moderator failure is recorded, never raised
            first = (str(exc).strip().splitlines() or [""])[0]
            reason = f"model error: {type(exc).__name__}: {first}"[:200]
        else:
            raw = output.text
            chosen, reason = _parse_choice(raw, participants)
            if chosen is not None:
                conversation.events.append(
                    {"type": "moderator", "turn": turn, "chosen": chosen, "call_id": output.call_id}
                )
                return chosen
        picked = self.fallback(conversation, participants, addressed_id)
        fallback_id = await picked if inspect.isawaitable(picked) else picked
        conversation.events.append(
            {
                "type": "moderator_fallback",
                "turn": turn,
                "chosen": fallback_id,
                "reason": reason,
                "raw": raw[:200] if raw is not None else None,
            }
        )
        return fallback_id


def _parse_choice(text: str, participants: Sequence[ParticipantInfo]) -> tuple[str | None, str]:
    """``(id, "")`` for a JSON answer naming a participant; ``(None, reason)`` otherwise."""
    try:
        data = json.loads(text)
    except ValueError:
        return None, "malformed output (not JSON)"
    value = data.get("next") if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None, "malformed output (no 'next' name)"
    wanted = value.strip().lstrip("@").strip().casefold()
    for p in participants:
        if wanted in (p.name.casefold(), p.id.casefold()):
            return p.id, ""
    return None, f"unknown name {value[:60]!r}"


POLICIES: dict[str, TurnPolicy] = {
    "alternate": alternate,
    "round_robin": round_robin,
    "addressed": addressed,
    "weighted_random": WeightedRandom(),
}


def get_policy(policy: str | TurnPolicy) -> TurnPolicy:
    """Look up a policy by name (or pass a callable through)."""
    if callable(policy):
        return policy
    if policy == "moderator":
        raise ValueError("the 'moderator' policy needs a model: pass LLMModerator(model)")
    try:
        return POLICIES[policy]
    except KeyError:
        raise ValueError(f"unknown turn policy {policy!r} (known: {', '.join(POLICIES)})") from None
