"""The agenda-based user simulator (Schatzmann et al., 2007), the classic rule-based baseline of
task-oriented dialogue (as in ConvLab and UserSimCRS).

The user holds a goal (constraints, requests, booking) and a stack — the *agenda* — of dialogue
acts still to say. Each turn it reads the system's acts (given, or found by a keyword NLU in the
system's utterance), updates the agenda (a question pushes the answer to the top; a value it
asked for removes the request; "no match" switches to the goal's alternative or relaxes a
constraint; a booking confirmation completes the booking), pops one or a few acts of one domain
and says them with templates. It ends with a closing "thanks, bye" when the agenda is empty.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
)

from simulacra._validation import summarise
from simulacra.conversation import ParticipantInfo, ParticipantKind, View
from simulacra.errors import ConfigError
from simulacra.participants._agenda_nlg import TEMPLATES_VERSION, verbalise
from simulacra.participants._agenda_nlu import SystemNLU
from simulacra.participants._protocol import Reply
from simulacra.scenarios import (
    DONTCARE,
    DialogueAct,
    DomainGoal,
    Schema,
    TaskGoal,
    format_acts,
    load_schema,
    schema_from_goals,
)

__all__ = ["Agenda", "AgendaUser", "AgendaUserOptions", "SystemActs", "agenda_user_from_options"]

SystemActs = Callable[[View], Sequence[DialogueAct] | None]
"""Reads the system's last acts from a view (``None``: not available, use the NLU)."""

GoalStatus = Literal["in_progress", "success", "failed"]

_CHECKED = frozenset({"area", "price range", "stars", "type", "day", "food", "book day"})
"""Constraint slots whose contradiction by the system makes the user re-state its value."""


class Agenda:
    """A stack of pending user acts; the top (the last item) is said first."""

    def __init__(self, acts: Iterable[DialogueAct] = ()) -> None:
        self._stack: list[DialogueAct] = list(acts)

    def __len__(self) -> int:
        return len(self._stack)

    def __contains__(self, act: object) -> bool:
        return act in self._stack

    @property
    def acts(self) -> list[DialogueAct]:
        """The acts, top first."""
        return self._stack[::-1]

    def push(self, act: DialogueAct) -> None:
        """Put an act on top, removing any act about the same slot with the same intent."""
        self.remove(lambda a: (a.intent, a.domain, a.slot) == (act.intent, act.domain, act.slot))
        self._stack.append(act)

    def remove(self, predicate: Callable[[DialogueAct], bool]) -> None:
        """Drop every act for which ``predicate`` is true."""
        self._stack = [a for a in self._stack if not predicate(a)]

    def pop(self, n: int) -> list[DialogueAct]:
        """Up to ``n`` acts from the top, all of the top act's domain."""
        out: list[DialogueAct] = []
        while self._stack and len(out) < n:
            if out and self._stack[-1].domain != out[0].domain:
                break
            out.append(self._stack.pop())
        return out


class AgendaUserOptions(BaseModel):
    """Options of the agenda-based user in a run config (``user: {type: agenda, ...}``).

    Attributes:
        type: Always ``agenda``.
        name: Display name of the user.
        acts_per_turn: Acts popped per turn, drawn uniformly from ``[low, high]`` (a single
            number: exactly that many).
        max_relaxations: "No match" answers the user may meet by dropping a constraint (saying
            it does not mind), beyond the alternatives in its goal, before giving up.
        max_repeats: Times the user asks again for something the system did not give.
        schema: A schema file (SGD shape: services, intents, slots, possible values; relative
            to the config file) that every scenario's structured goal is checked against and
            the user takes its ontology from; without one, MultiWOZ for MultiWOZ domains and the
            goals themselves for any other service.
    """

    type: Literal["agenda"] = "agenda"
    name: str = Field(default="User", min_length=1)
    acts_per_turn: tuple[int, int] = (1, 2)
    max_relaxations: int = Field(default=1, ge=0)
    max_repeats: int = Field(default=2, ge=0)
    schema_file: str | None = Field(default=None, alias="schema")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_serializer(mode="wrap")
    def _without_default_schema(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # runs without a schema keep the config hash they had before the option existed
        data: dict[str, Any] = handler(self)
        if data.get("schema_file") is None:
            data.pop("schema_file", None)
        return data

    @field_validator("acts_per_turn", mode="before")
    @classmethod
    def _one_or_two(cls, value: object) -> object:
        return (value, value) if isinstance(value, int) else value

    @field_validator("acts_per_turn")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1]:
            raise ValueError(f"must be [low, high] with 1 <= low <= high, got {list(value)}")
        return value


class AgendaUser:
    """A simulated user driven by an agenda of dialogue acts (a rule-based baseline).

    Deterministic for a seed and the same system replies. Each turn's metadata records the acts
    said (``acts``, e.g. ``inform(hotel-area=north);request(hotel-phone)``), the agenda size
    after it (``agenda_size``), the system acts understood (``system_acts``), the ``domain``
    and the user's own view of its goal (``goal_status``: in_progress, success, failed).

    Args:
        goal: The task goal (a mapping is validated; bad input raises ``ConfigError``).
        seed: Seeds the number of acts per turn, the agenda order and the phrasings.
        acts_per_turn: ``(low, high)`` acts popped per turn.
        max_relaxations: See :class:`AgendaUserOptions`.
        max_repeats: See :class:`AgendaUserOptions`.
        system_acts: Reads the system's acts from the view when the system under test provides
            them; when it returns ``None`` (or is not given), the keyword NLU reads the text.
        id: Participant id.
        name: Display name.
    """

    def __init__(
        self,
        goal: TaskGoal | Mapping[str, object],
        *,
        seed: int = 0,
        acts_per_turn: tuple[int, int] = (1, 2),
        max_relaxations: int = 1,
        max_repeats: int = 2,
        system_acts: SystemActs | None = None,
        id: str = "user",
        name: str = "User",
        schema: Schema | None = None,
    ) -> None:
        options = _options(
            {
                "name": name,
                "acts_per_turn": acts_per_turn,
                "max_relaxations": max_relaxations,
                "max_repeats": max_repeats,
            }
        )
        self.goal = TaskGoal.parse(goal, schema=schema)
        self.schema = schema or schema_from_goals([self.goal])
        self.options = options
        self.system_acts = system_acts
        self.info = ParticipantInfo(id=id, name=name, kind=ParticipantKind.SIMULATED_HUMAN)
        self.nlu = SystemNLU(self.goal, schema=self.schema)
        self.rng = random.Random(seed)
        self.status: GoalStatus = "in_progress"
        self.history: list[list[DialogueAct]] = []
        self._values = {d.domain: _first_values(d) for d in self.goal.domains}
        self._fails = {
            (d.domain, s) for d in self.goal.domains for s in [*d.fail_inform, *d.fail_book]
        }
        self._requests: dict[str, dict[str, str | None]] = {
            d.domain: dict.fromkeys(d.requests) for d in self.goal.domains
        }
        self._booked: dict[str, str | None] = {
            d.domain: None for d in self.goal.domains if d.wants_booking
        }
        self._relaxations = 0
        self._repeats: dict[DialogueAct, int] = {}
        self._contradicted: set[tuple[str, str]] = set()
        self._introduced: set[str] = set()
        self._last: list[DialogueAct] = []
        self._domain = self.goal.domains[0].domain
        self._give_up = False
        self.agenda = self._initial_agenda()

    def _initial_agenda(self) -> Agenda:
        agenda = Agenda()
        for d in reversed(self.goal.domains):
            values = self._values[d.domain]
            if d.wants_booking:
                agenda.push(DialogueAct("request", d.domain, "ref"))
                for slot in self._shuffled(d.book):
                    agenda.push(DialogueAct("inform", d.domain, slot, values[slot]))
            for slot in self._shuffled(d.requests):
                agenda.push(DialogueAct("request", d.domain, slot))
            informs = [s for s in self._shuffled(values) if s not in d.book]
            for slot in sorted(informs, key=lambda s: s == "name"):  # a name goes first
                agenda.push(DialogueAct("inform", d.domain, slot, values[slot]))
        return agenda

    def _shuffled(self, slots: Iterable[str]) -> list[str]:
        items = sorted(slots)
        self.rng.shuffle(items)
        return items

    # -- reading the system --------------------------------------------------------------

    def update(self, acts: Sequence[DialogueAct]) -> None:
        """Update the agenda from the system's acts (Schatzmann's state transition)."""
        self._retry_unanswered()  # below the answers to the system's questions
        stated = {(a.domain, a.slot) for a in acts if a.intent == "inform" and self._holds(a)}
        for act in acts:
            domain = act.domain if self.goal.domain(act.domain) else self._domain
            goal = self.goal.domain(domain)
            if goal is None:
                continue
            if act.intent == "request":
                self._on_request(goal, act.slot)
            elif act.intent in ("inform", "recommend", "select", "offerbook"):
                self._on_inform(goal, act, (domain, act.slot) in stated)
            elif act.intent == "book":
                self._on_booked(goal, act.value or "yes")
            elif act.intent == "nobook":
                self._on_failure(goal, booking=True, slot="")
            elif act.intent == "nooffer":
                self._on_failure(goal, booking=False, slot=act.slot)

    def _holds(self, act: DialogueAct) -> bool:
        return self._values.get(act.domain, {}).get(act.slot) == act.value

    def _on_request(self, goal: DomainGoal, slot: str) -> None:
        values = self._values[goal.domain]
        if slot in values:
            self.agenda.push(DialogueAct("inform", goal.domain, slot, values[slot]))
        elif (service := self.schema.service(goal.domain)) and slot in service.informable:
            self.agenda.push(DialogueAct("inform", goal.domain, slot, DONTCARE))

    def _on_inform(self, goal: DomainGoal, act: DialogueAct, stated: bool) -> None:
        d, slot = goal.domain, act.slot
        requests = self._requests[d]
        if slot in requests and requests[slot] is None:
            requests[slot] = act.value or "yes"
            self.agenda.remove(lambda a: a.intent == "request" and (a.domain, a.slot) == (d, slot))
        if slot == "ref" and d in self._booked:
            self._on_booked(goal, act.value or "yes")
        wanted = self._values[d].get(slot)
        if (
            wanted not in (None, DONTCARE)
            and slot in _CHECKED
            and act.value
            and act.value != wanted
            and not stated
            and (d, slot) not in self._contradicted
        ):
            self._contradicted.add((d, slot))
            self.agenda.push(DialogueAct("inform", d, slot, str(wanted)))

    def _on_booked(self, goal: DomainGoal, ref: str) -> None:
        d = goal.domain
        if d not in self._booked or self._booked[d] is not None:
            return
        self._booked[d] = ref
        self.agenda.remove(
            lambda a: a.domain == d and (a.slot == "ref" or a.slot.startswith("book "))
        )

    def _on_failure(self, goal: DomainGoal, *, booking: bool, slot: str) -> None:
        d = goal.domain
        if booking and d in self._booked and self._booked[d] is not None:
            return
        final = goal.book if booking else goal.inform
        switch = [
            s for (dd, s) in sorted(self._fails) if dd == d and s.startswith("book ") == booking
        ]
        if switch:  # the goal's own alternative values
            changed = False
            for s in switch:
                self._fails.discard((d, s))
                old, self._values[d][s] = self._values[d][s], final.get(s, DONTCARE)
                if self._values[d][s] != old:
                    changed = True
                    self.agenda.push(DialogueAct("inform", d, s, self._values[d][s]))
            if changed:
                return
        relaxable = sorted(
            s
            for s, v in self._values[d].items()
            if v != DONTCARE and not s.startswith("book ") and s != "name"
        )
        if booking or not relaxable or self._relaxations >= self.options.max_relaxations:
            self._give_up = True
            return
        self._relaxations += 1
        chosen = slot if slot in relaxable else self.rng.choice(relaxable)
        self._values[d][chosen] = DONTCARE
        self.agenda.push(DialogueAct("inform", d, chosen, DONTCARE))

    def _retry_unanswered(self) -> None:
        for act in self._last:
            if act.intent != "request" or not self._missing(act):
                continue
            count = self._repeats.get(act, 0)
            if count < self.options.max_repeats and act not in self.agenda:
                self._repeats[act] = count + 1
                self.agenda.push(act)

    def _missing(self, act: DialogueAct) -> bool:
        if act.slot == "ref" and act.domain in self._booked:
            return self._booked[act.domain] is None
        return self._requests.get(act.domain, {}).get(act.slot, "") is None

    # -- speaking ------------------------------------------------------------------------

    @property
    def satisfied(self) -> bool:
        """Whether, as far as the user understood, every request was answered and every
        booking made."""
        answered = all(v is not None for r in self._requests.values() for v in r.values())
        return answered and all(v is not None for v in self._booked.values())

    def step(self, system_acts: Sequence[DialogueAct] | None) -> Reply:
        """The next turn after the system's acts (``None`` before the system has spoken)."""
        understood = list(system_acts or [])
        if system_acts is not None:
            self.update(understood)
        if self._give_up or not self.agenda:
            self.status = "success" if self.satisfied and not self._give_up else "failed"
            closing = [DialogueAct("bye")]
            intent = "bye" if self.status == "success" else "giveup"
            text = verbalise([DialogueAct(intent)], self.rng)
            return self._reply(text, closing, understood, stop=True)
        low, high = self.options.acts_per_turn
        acts = self.agenda.pop(self.rng.randint(low, high))
        self._domain = acts[0].domain
        new = None if self._domain in self._introduced else self._domain
        self._introduced.add(self._domain)
        if new is not None and any(a.intent == "inform" and a.slot == "name" for a in acts):
            new = None  # "I'm looking for X." says it already
        self._last = acts
        goal = self.goal.domain(self._domain)
        wants = goal.intents[0] if new is not None and goal is not None and goal.intents else None
        text = verbalise(acts, self.rng, new_domain=new, intent=wants)
        return self._reply(text, acts, understood)

    def _reply(
        self,
        text: str,
        acts: list[DialogueAct],
        understood: list[DialogueAct],
        *,
        stop: bool = False,
    ) -> Reply:
        self.history.append(acts)
        return Reply(
            utterance=text,
            stop=stop,
            metadata={
                "acts": format_acts(acts),
                "agenda_size": len(self.agenda),
                "system_acts": format_acts(understood),
                "domain": self._domain,
                "goal_status": self.status,
                "templates": TEMPLATES_VERSION,
            },
        )

    def read_system(self, view: View) -> list[DialogueAct] | None:
        """The system's acts since this user last spoke (``None`` before anyone spoke)."""
        if self.system_acts is not None:
            given = self.system_acts(view)
            if given is not None:
                return list(given)
        new: list[str] = []
        for message in reversed(view.messages):
            if message.role == "assistant":
                break
            new.append(message.content)
        if not new:
            return None
        return self.nlu.understand(" ".join(reversed(new)), domain=self._domain)

    async def respond(self, view: View) -> Reply:
        """The next turn: read the system, update the agenda, pop and verbalise acts."""
        return self.step(self.read_system(view))


def _first_values(goal: DomainGoal) -> dict[str, str]:
    slots = [*goal.inform, *goal.fail_inform, *goal.book, *goal.fail_book]
    return {s: v for s in dict.fromkeys(slots) if (v := goal.first_value(s)) is not None}


def _options(data: Mapping[str, object], *, source: str = "user") -> AgendaUserOptions:
    try:
        return AgendaUserOptions.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(f"{source}: {summarise(exc, model=AgendaUserOptions)}") from None


def agenda_user_from_options(
    options: AgendaUserOptions | Mapping[str, object],
    *,
    goal: TaskGoal | Mapping[str, object],
    seed: int,
    id: str = "user",
    system_acts: SystemActs | None = None,
) -> AgendaUser:
    """Build the agenda user of one work item from the run config's ``user:`` options.

    Raises:
        ConfigError: One line naming the bad option or goal field.
    """
    opts = options if isinstance(options, AgendaUserOptions) else _options(options)
    schema = _schema(opts.schema_file) if opts.schema_file else None
    return AgendaUser(
        goal,
        seed=seed,
        acts_per_turn=opts.acts_per_turn,
        max_relaxations=opts.max_relaxations,
        max_repeats=opts.max_repeats,
        system_acts=system_acts,
        id=id,
        name=opts.name,
        schema=schema,
    )


def _schema(path: str) -> Schema:
    return _SCHEMAS[path] if path in _SCHEMAS else _SCHEMAS.setdefault(path, load_schema(path))


_SCHEMAS: dict[str, Schema] = {}
