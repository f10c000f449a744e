"""Human–human simulation (survey §4.2, App. C.2): two simulated people, each with a profile.

Two paradigms, both played by :class:`~simulacra.PromptedUser` with ``framing="peer"`` (the
partner is another person, not an AI assistant):

- ``human_human`` — PersonaChat-style chit-chat. The scenario's ``goal`` is the shared situation
  or topic; each person may have a private goal (default: get to know the other person).
- ``negotiation`` — CaSiNo-style: two parties split items with private priorities and reasons,
  make structured moves (DEAL / ACCEPT / REJECT / WALK AWAY, see
  :mod:`simulacra.paradigms._negotiation`) and are scored with the CaSiNo rules. The two
  parties can be drawn from real CaSiNo dialogues, whose real outcome is recorded beside the
  simulated one.

Both define their own participants (``uses_profiles`` is ``False``): the two people are listed in
the paradigm options (or drawn from CaSiNo), and a run makes one conversation per scenario ×
epoch. The run's ``profiles`` are not used.
"""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from simulacra.conversation import Conversation, Turn, View
from simulacra.models import GenerateConfig
from simulacra.orchestration import run_conversation
from simulacra.paradigms._casino import CasinoDialogue, casino_dialogue, load_casino
from simulacra.paradigms._negotiation import (
    CASINO_ITEMS,
    CASINO_POINTS,
    WALK_AWAY,
    NegotiationOutcome,
    PartyBrief,
    analyse_negotiation,
    parse_move,
)
from simulacra.paradigms._registry import ParadigmContext, ParadigmOptions, register_paradigm
from simulacra.participants import PromptedUser, Reply
from simulacra.profiles import GeneralUser, Persona, Profile
from simulacra.prompts import get_template

__all__ = [
    "CasinoSource",
    "HumanHumanOptions",
    "NegotiationOptions",
    "Negotiator",
    "Party",
    "Person",
    "human_human",
    "negotiation",
]

DEFAULT_PEER_GOAL = "Get to know the other person."
NEGOTIATION_GOAL = "A deal that gets you the packages that matter most to you."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Person(_Strict):
    """One of the two people of a ``human_human`` conversation.

    Attributes:
        id: Participant id (default: the profile's id, else ``person_1`` / ``person_2``).
        profile: Who the person is (any kind; default: a general user named by ``id``).
        goal: The person's private goal (default: get to know the other person).
        model: The model role that plays this person (default: the options' ``model``).
    """

    id: str | None = None
    profile: Profile = Field(default_factory=GeneralUser)
    goal: str | None = None
    model: str | None = None


def _check_pair(ids: list[str], names: list[str], field: str) -> None:
    if len(ids) != 2:
        raise ValueError(f"{field}: exactly two are needed, got {len(ids)}")
    if ids[0] == ids[1]:
        raise ValueError(f"{field}: the two need different ids, both are {ids[0]!r}")
    if names[0] == names[1]:
        raise ValueError(
            f"{field}: the two need different names (profile.name), both are {names[0]!r}"
        )


class HumanHumanOptions(ParadigmOptions):
    """``paradigm: {type: human_human, people: [...]}`` — two simulated people chatting.

    Attributes:
        people: The two people, the first speaks first.
        model: The model role that plays them.
    """

    people: list[Person]
    model: str = "user"

    @model_validator(mode="after")
    def _two_people(self) -> HumanHumanOptions:
        _check_pair(_person_ids(self.people), [p.profile.name for p in self.people], "people")
        return self

    def model_roles(self) -> list[str]:
        """The model roles of the two people."""
        return [p.model or self.model for p in self.people]


def _person_ids(people: list[Person]) -> list[str]:
    return [p.id or p.profile.id or f"person_{i + 1}" for i, p in enumerate(people)]


@register_paradigm("human_human", options=HumanHumanOptions)
async def human_human(options: HumanHumanOptions, ctx: ParadigmContext) -> Conversation:
    """Two simulated people talk (PersonaChat-style), each from its own profile and goal."""
    ids = _person_ids(options.people)
    situation = f"The situation: {ctx.goal}"
    people = [
        PromptedUser(
            ctx.models[p.model or options.model],
            goal=p.goal or DEFAULT_PEER_GOAL,
            profile=p.profile,
            id=pid,
            instructions="\n\n".join(filter(None, [situation, ctx.instructions])),
            framing="peer",
            config=GenerateConfig(seed=ctx.seed),
        )
        for pid, p in zip(ids, options.people, strict=True)
    ]
    opening = [Turn(speaker=ids[0], utterance=ctx.opening)] if ctx.opening else []
    return await run_conversation(
        people,
        policy="alternate",
        stop=ctx.stop,
        conversation_id=ctx.conversation_id,
        scenario_id=ctx.scenario_id,
        opening=opening,
        metadata={**ctx.metadata, "people": ",".join(ids)},
    )


# --- Negotiation ----------------------------------------------------------------------------


class Party(_Strict):
    """One party of a negotiation.

    Attributes:
        id: Participant id.
        profile: Who the party is (default: a general user named by ``id``).
        priorities: Item → priority (a key of ``points``: ``high``/``medium``/``low``), each
            level used once.
        reasons: Item → why it matters to this party (private, like the priorities).
        model: The model role that plays this party (default: the options' ``model``).
    """

    id: str = Field(min_length=1)
    profile: Profile | None = None
    priorities: dict[str, str]
    reasons: dict[str, str] = Field(default_factory=dict)
    model: str | None = None

    def brief(self) -> PartyBrief:
        """The party's private side, with item and level names in lower case."""
        return PartyBrief(
            id=self.id,
            priorities={k.lower(): v.lower() for k, v in self.priorities.items()},
            reasons={k.lower(): v for k, v in self.reasons.items()},
        )

    def named_profile(self) -> Profile:
        """The profile, or a general user named after the id."""
        return self.profile or GeneralUser(name=self.id.replace("_", " ").title())


class CasinoSource(_Strict):
    """Draw both parties from real CaSiNo dialogues (priorities, reasons, questionnaires).

    Attributes:
        path: A CaSiNo split file (``casino_valid.json``) or a folder of them, in the original
            format; relative to the working directory.
        dialogue_id: The dialogue to re-enact; default: epoch ``e`` uses the ``start + e``-th
            dialogue of the file, so ``epochs: N`` re-enacts N real dialogues.
        start: See ``dialogue_id``.
        names: Display names of the first and second speaker (CaSiNo's crowd workers had none).
    """

    path: str
    dialogue_id: int | None = None
    start: int = Field(default=0, ge=0)
    names: tuple[str, str] = ("Alex", "Sam")

    @field_validator("path")
    @classmethod
    def _readable(cls, value: str) -> str:
        load_casino(value)  # ValueError: one line, reported as paradigm.casino.path
        return value

    @field_validator("dialogue_id")
    @classmethod
    def _known(cls, value: int | None, info: ValidationInfo) -> int | None:
        path = info.data.get("path")
        known = load_casino(path) if value is not None and path is not None else []
        if known and not any(d.get("dialogue_id") == value for d in known):
            raise ValueError(f"no dialogue {value} in {path}")
        return value

    def dialogue(self, epoch: int) -> CasinoDialogue:
        """The real dialogue to re-enact at this epoch."""
        dialogues = load_casino(self.path)
        if self.dialogue_id is not None:
            raw = next(d for d in dialogues if d.get("dialogue_id") == self.dialogue_id)
        else:
            raw = dialogues[(self.start + epoch) % len(dialogues)]
        return casino_dialogue(raw)


class NegotiationOptions(ParadigmOptions):
    """``paradigm: {type: negotiation, ...}`` — two parties split items (CaSiNo-style).

    Attributes:
        parties: The two parties, the first speaks first (or use ``casino``).
        casino: Draw the parties from real CaSiNo dialogues instead.
        items: Item → how many units there are (CaSiNo: 3 each of food, water, firewood).
        points: Points per unit by priority (CaSiNo: high 5, medium 4, low 3).
        walk_away_points: What each party gets without a deal (CaSiNo: 5).
        model: The model role that plays the parties.
    """

    parties: list[Party] = Field(default_factory=list)
    casino: CasinoSource | None = None
    items: dict[str, int] = Field(default_factory=lambda: dict(CASINO_ITEMS))
    points: dict[str, int] = Field(default_factory=lambda: dict(CASINO_POINTS))
    walk_away_points: int = Field(default=5, ge=0)
    model: str = "user"

    @field_validator("items")
    @classmethod
    def _items(cls, value: dict[str, int]) -> dict[str, int]:
        if not value or any(n < 1 for n in value.values()):
            raise ValueError("give each item a count of at least 1")
        return {k.lower(): n for k, n in value.items()}

    @field_validator("points")
    @classmethod
    def _points(cls, value: dict[str, int]) -> dict[str, int]:
        return {k.lower(): n for k, n in value.items()}

    @model_validator(mode="after")
    def _consistent(self) -> NegotiationOptions:
        if self.casino is not None:
            if self.parties:
                raise ValueError("parties: give either parties or casino, not both")
            if self.items != CASINO_ITEMS or self.points != CASINO_POINTS:
                raise ValueError("items: CaSiNo dialogues split 3 food, 3 water, 3 firewood")
            return self
        if len(self.parties) != 2:
            raise ValueError(f"parties: a negotiation needs two parties, got {len(self.parties)}")
        _check_pair(
            [p.id for p in self.parties], [p.named_profile().name for p in self.parties], "parties"
        )
        for k, party in enumerate(self.parties):
            _check_priorities(party.brief(), self.items, self.points, f"parties.{k}")
        return self

    def model_roles(self) -> list[str]:
        """The model roles of the two parties."""
        return [self.model, *(p.model for p in self.parties if p.model)]


def _check_priorities(
    brief: PartyBrief, items: dict[str, int], points: dict[str, int], where: str
) -> None:
    missing = [i for i in items if i not in brief.priorities]
    unknown = [i for i in brief.priorities if i not in items]
    if missing or unknown:
        problem = (
            f"no priority for {', '.join(missing)}" if missing else f"unknown item {unknown[0]!r}"
        )
        raise ValueError(f"{where}.priorities: {problem} (items: {', '.join(items)})")
    seen: dict[str, str] = {}
    for item, level in brief.priorities.items():
        if level not in points:
            known = ", ".join(points)
            raise ValueError(f"{where}.priorities.{item}: unknown priority {level!r} ({known})")
        if level in seen:
            raise ValueError(
                f"{where}.priorities: priority {level!r} is used twice ({seen[level]}, {item})"
            )
        seen[level] = item
    extra = [i for i in brief.reasons if i not in items]
    if extra:
        raise ValueError(f"{where}.reasons: unknown item {extra[0]!r} (items: {', '.join(items)})")


class Negotiator:
    """A party of a negotiation: a prompted person whose messages are read as moves.

    Wraps a :class:`~simulacra.PromptedUser` whose stop sentinel is ``WALK AWAY``: a walk-away
    ends the conversation (``user_stop``, ended by this party) and stays visible as a final
    ``WALK AWAY`` line. Each turn records its move (``move``: propose, accept, reject,
    walk_away, talk) and a proposal's ``deal`` (what the speaker gets) in its metadata.

    Args:
        user: The prompted person.
        items: Item → how many units there are.
    """

    def __init__(self, user: PromptedUser, *, items: dict[str, int]) -> None:
        self.user = user
        self.items = items
        self.info = user.info

    async def respond(self, view: View) -> Reply:
        """The person's reply, with its move parsed."""
        reply = await self.user.respond(view)
        text = reply.utterance
        if reply.stop and parse_move(text, self.items).kind != "walk_away":
            # What is left around the sentinel may be bare punctuation ("WALK AWAY." → ".").
            text = f"{text}\n{WALK_AWAY}" if any(ch.isalnum() for ch in text) else WALK_AWAY
        move = parse_move(text, self.items)
        metadata = {**reply.metadata, "move": move.kind}
        if move.deal is not None:
            metadata["deal"] = move.deal.describe()
            metadata["deal_valid"] = move.deal.valid
        return reply.model_copy(
            update={"utterance": text, "stop": move.walk_away, "metadata": metadata}
        )


def _setup(
    options: NegotiationOptions, ctx: ParadigmContext
) -> tuple[list[PartyBrief], list[Profile], list[str], CasinoDialogue | None]:
    if options.casino is None:
        briefs = [p.brief() for p in options.parties]
        named = [p.named_profile() for p in options.parties]
        roles = [p.model or options.model for p in options.parties]
        return briefs, named, roles, None
    real = options.casino.dialogue(ctx.epoch)
    profiles: list[Profile] = []
    for brief, name in zip(real.briefs, options.casino.names, strict=True):
        persona: Persona = real.personas[brief.id]
        # The priorities go into the negotiation brief (with the reasons), not the persona.
        profiles.append(persona.model_copy(update={"name": name, "description": None}))
    return list(real.briefs), profiles, [options.model] * 2, real


def _brief_text(options: NegotiationOptions, brief: PartyBrief, other: str) -> tuple[str, str]:
    template = get_template("negotiation/party")
    items = list(options.items.items())
    listed = ", ".join(f"{n} {item}" for item, n in items[:-1])
    listed = (
        f"{listed} and {items[-1][1]} {items[-1][0]}" if listed else f"{items[0][1]} {items[0][0]}"
    )
    order = sorted(items, key=lambda kv: -options.points[brief.priorities[kv[0]]])
    example = {item: (n + 1) // 2 if k == 0 else n // 2 for k, (item, n) in enumerate(order)}
    text = template.render(
        items=f"{listed} packages",
        other=other,
        priorities=[
            {
                "item": item,
                "level": brief.priorities[item],
                "points": options.points[brief.priorities[item]],
                "reason": brief.reasons.get(item, ""),
            }
            for item, _ in order
        ],
        walk_away_points=options.walk_away_points,
        example=" ".join(f"{item}={example[item]}" for item, _ in items),
        walk_away=WALK_AWAY,
    )
    return text, template.ref


@register_paradigm("negotiation", options=NegotiationOptions)
async def negotiation(options: NegotiationOptions, ctx: ParadigmContext) -> Conversation:
    """Two parties with private priorities negotiate a split; the outcome is scored."""
    briefs, profiles, roles, real = _setup(options, ctx)

    def outcome(turns: list[Turn]) -> NegotiationOutcome:
        return analyse_negotiation(
            turns,
            briefs,
            items=options.items,
            points=options.points,
            walk_away_points=options.walk_away_points,
        )

    parties: list[Negotiator] = []
    refs = set()
    for k, (brief, profile, role) in enumerate(zip(briefs, profiles, roles, strict=True)):
        text, ref = _brief_text(options, brief, other=profiles[1 - k].name)
        refs.add(ref)
        user = PromptedUser(
            ctx.models[role],
            goal=NEGOTIATION_GOAL,
            profile=profile,
            id=brief.id,
            instructions="\n\n".join(
                filter(None, [f"The situation: {ctx.goal}", text, ctx.instructions])
            ),
            stop_sentinel=WALK_AWAY,
            framing="peer",
            config=GenerateConfig(seed=ctx.seed),
        )
        parties.append(Negotiator(user, items=options.items))
    opening = [Turn(speaker=briefs[0].id, utterance=ctx.opening)] if ctx.opening else []
    stop = dataclasses.replace(ctx.stop, goal_check=lambda c: outcome(c.turns).status == "deal")
    conversation = await run_conversation(
        parties,
        policy="alternate",
        stop=stop,
        conversation_id=ctx.conversation_id,
        scenario_id=ctx.scenario_id,
        opening=opening,
        metadata={**ctx.metadata, "brief_template": ",".join(sorted(refs))},
    )
    result = outcome(conversation.turns)
    conversation.events.extend(result.events)
    summary = result.model_dump(mode="json", exclude={"events"})
    conversation.events.append({"type": "negotiation_outcome", **summary})
    conversation.metadata.update(result.metadata())
    if real is not None:
        conversation.metadata["casino_dialogue_id"] = real.dialogue_id
        conversation.metadata["real.negotiation"] = real.real.status
        for pid, points in real.recorded_points.items():
            conversation.metadata[f"real.points.{pid}"] = points
        if real.real.allocation is not None:
            for pid, alloc in real.real.allocation.items():
                conversation.metadata[f"real.allocation.{pid}"] = " ".join(
                    f"{i}={n}" for i, n in alloc.items()
                )
        conversation.events.append(
            {
                "type": "casino_real_outcome",
                "dialogue_id": real.dialogue_id,
                "status": real.real.status,
                "allocation": real.real.allocation,
                "points": real.recorded_points,
                "turns": len(real.turns),
            }
        )
    return conversation
