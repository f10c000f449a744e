"""The goal-state user: a state machine decides *what* to say and *when* to end; the model only
says it, in the persona's voice (survey §5, "goal/state-driven" users).

Each turn:

1. **Track.** The goal is a :class:`~simulacra.participants.Checklist`. With a structured goal
   (MultiWOZ shape) an agenda (:class:`~simulacra.participants.AgendaUser`, Schatzmann's
   state transitions and its keyword NLU of the other side's text) tracks constraints, requests,
   bookings, "no match" answers and fallbacks. With a free-text goal the checklist's clauses are
   tracked by what the user has said and whether the other side confirmed or refused.
2. **Choose.** Answer the other side's question from the goal, else the next ``disclosure``
   items (a little at a time); end when the goal is met, when the other side refused
   ``refusals`` times, or after ``patience`` turns without progress.
3. **Say it.** The model rewrites the chosen content (``user/goal_state_*`` templates) with a few
   real users' messages from similar moments (:class:`~simulacra.participants.StyleBank`) as
   style examples. The wording is the model's; the content and the end are the state's.

Every turn records ``content``, ``stop_reason`` (on the last), ``verbalised_by`` (``model`` or
``template``), and on the first turn the checklist and its source. With the validity gate a
rejected wording is redrawn (:meth:`GoalStateUser.regenerate`); from ``template_after`` tries on,
the template wording of the content is used, so the state's turn is never lost.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra.conversation import ParticipantInfo, ParticipantKind, View
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.participants._agenda import AgendaUser
from simulacra.participants._checklist import (
    GIVEN_CUES,
    Checklist,
    ChecklistItem,
    _statements,
    rule_checklist,
)
from simulacra.participants._content import COPIED_KEY, PHRASE, SAYS_KEY, values_to_say
from simulacra.participants._noise import add_typos, knob_rng, shorten, word_budget
from simulacra.participants._protocol import Reply, call_ref
from simulacra.participants._real_wording import Placement, RealWording
from simulacra.participants._simulated_user import STOP_SENTINEL, clean_utterance
from simulacra.participants._style import Position, StyleBank, acts_to_notes
from simulacra.participants._validity import stuck
from simulacra.profiles import GeneralUser, Profile
from simulacra.prompts import get_template, render_profile
from simulacra.scenarios import DialogueAct, TaskGoal, parse_acts

__all__ = ["GoalStateOptions", "GoalStateUser"]

StopReason = Literal["goal_met", "refused", "patience"]

_CONFIRMED = re.compile(
    r"\b(booked|reserved|confirmed|confirmation|reference|all set|is done|has been (processed|"
    r"issued|made|completed|cancell?ed|updated|sent)|successfully|processed|refund(ed)? (has|will)|"
    r"you('re| are) all set|"
    r"i('ve| have) (booked|reserved|made|processed|issued|sent|cancell?ed))\b",
    re.IGNORECASE,
)
_REFUSED = re.compile(
    r"\b(sorry|unfortunately|unable|can ?not|can't|couldn't|could not|not available|no "
    r"availability|fully booked|booked up|don't have|do not have|isn't possible|is not possible|"
    r"no (rooms?|tables?|trains?|results?|match))\b",
    re.IGNORECASE,
)
_PREAMBLE = re.compile(
    r"^(((sure|certainly|of course|okay|ok)[!,.]?\s*)?(here('s| is) (the|my|a|your) "
    r"(message|reply|response)[^:\n]*:|message:)\s*)+",
    re.IGNORECASE,
)

_REQUEST = re.compile(
    r"\b(please (provide|give|tell|share|confirm|send)|may i (have|get|know)|can i (have|get)|"
    r"could you (give|tell|provide|share|confirm)|i('ll| will) need your|let me know your)\b",
    re.IGNORECASE,
)
"""A request for the user's details that is not phrased as a question."""
_DEFAULT_NAME = "Alex Morgan"
_OPENER = re.compile(r"^\s*(sure|of course|certainly|absolutely)\s*[!,.]\s*", re.IGNORECASE)
"""The name a general user gives when asked (its profile has none)."""
_BOOK_WORD = re.compile(r"\b(book|reserv)", re.IGNORECASE)
_CLOSING = "thanks"
_GIVE_UP = "never mind | thanks anyway"
_BYE = 0.2
"""Share of closing turns that also say goodbye: 21% of the last user turns of single-domain
MultiWOZ 2.1 val dialogues do; 89% thank."""


class GoalStateOptions(BaseModel):
    """The goal-state user in a run config (``user: {type: goal_state, ...}``; the default).

    Attributes:
        type: Always ``goal_state``.
        model: The model role that voices the user.
        disclosure: At most this many checklist items per turn (a little at a time).
        patience: Turns without progress before the user gives up.
        refusals: Refusals by the other side before the user gives up (free-text goals).
        style_examples: Real users' messages shown per turn as style examples (0: none).
        checklist: How a free-text goal becomes a checklist: ``rules`` or ``llm``
            (schema-constrained call, rules as fallback).
        template_after: From this regeneration on, the template wording is used.
        real_wording: With a structured goal, the template wording is a real user's wording of
            the same acts (MultiWOZ 2.1 val, :mod:`~simulacra.participants._real_wording`) when
            one fits, and the built-in template otherwise.
        last_word: Who speaks last when the user ends. ``target`` (default): the user's
            closing ("that's all, thanks") is answered by the other side, which gets the last
            word, as in every real MultiWOZ dialogue; if that answer asks a question ("anything
            else?") the user says no once more. ``user``: the closing ends the conversation.
    """

    model_config = ConfigDict(extra="forbid")

    type: Literal["goal_state"] = "goal_state"
    model: str = "user"
    disclosure: int = Field(default=2, ge=1, le=10)
    patience: int = Field(default=3, ge=1, le=50)
    refusals: int = Field(default=2, ge=1, le=20)
    style_examples: int = Field(default=3, ge=0, le=10)
    checklist: Literal["rules", "llm"] = "rules"
    template_after: int = Field(default=2, ge=1, le=20)
    real_wording: bool = True
    last_word: Literal["target", "user"] = "target"


@dataclass
class _Plan:
    """What one turn says: content for the model, a template wording, whether it ends."""

    content: str
    template: str
    stop: bool = False
    stop_reason: StopReason | None = None
    metadata: dict[str, str | int | float | bool | None] = field(default_factory=dict)
    says: list[str] = field(default_factory=list)
    """Values the wording must state (the gate's ``drops_content`` checks them)."""
    source: str = "template"
    """Where ``template`` comes from: ``template`` (built in) or ``real_wording``."""


def _phrase(items: Sequence[ChecklistItem], first: bool) -> tuple[str, str]:
    """(content, template wording) of free-text checklist items."""
    parts = [i.text.rstrip(".") for i in items]
    content = " | ".join(
        f"ask: {p}" if i.kind == "request" else p for i, p in zip(items, parts, strict=True)
    )
    lead = parts[0][0].lower() + parts[0][1:] if parts else ""
    rest = ", ".join(parts[1:])
    if first and items and items[0].kind == "action":
        template = f"Hi, I'd like to {lead}{', ' + rest if rest else ''}."
    elif items and items[0].kind == "request":
        template = f"Could you also {lead}{', ' + rest if rest else ''}?"
    else:
        template = f"It's {lead}{', ' + rest if rest else ''}."
    return content, template


class GoalStateUser:
    """A simulated user whose content and end come from its goal's state (see the module doc).

    Args:
        model: The model that puts the chosen content into words.
        goal: The goal in words (private to the user).
        task: A structured goal (MultiWOZ shape); else the free-text goal's checklist is used.
        profile: Who the user is (default: a general user).
        id: Participant id.
        options: Disclosure, patience, style examples, checklist source.
        checklist: A ready checklist (overrides the one derived from ``task``/``goal``).
        style: The style bank (default: the shipped one; ``None``: no examples).
        instructions: Extra scenario instructions.
        seed: Seeds the agenda, the phrasings and the model calls.
        config: Per-call generation options.
    """

    def __init__(
        self,
        model: Model,
        *,
        goal: str,
        task: TaskGoal | None = None,
        profile: Profile | None = None,
        id: str = "user",
        options: GoalStateOptions | None = None,
        checklist: Checklist | None = None,
        style: StyleBank | Literal["default"] | None = "default",
        instructions: str | None = None,
        seed: int = 0,
        config: GenerateConfig | None = None,
        stop_sentinel: str = STOP_SENTINEL,
    ) -> None:
        self.model = model
        self.goal = goal or (task.description if task else "")
        self.task = task
        self.profile: Profile = profile or GeneralUser()
        self.options = options or GoalStateOptions()
        self.instructions = instructions
        self.seed = seed
        self.config = config
        self.stop_sentinel = stop_sentinel
        self.style = StyleBank.default() if style == "default" else style
        self.info = ParticipantInfo(
            id=id,
            name=self.profile.name,
            kind=ParticipantKind.SIMULATED_HUMAN,
            profile=self.profile,
        )
        if checklist is not None:
            self.checklist = checklist
        elif task is not None:
            self.checklist = Checklist.from_task(task)
        else:
            self.checklist = rule_checklist(self.goal)
        high = self.options.disclosure
        self._agenda = (
            AgendaUser(task, seed=seed, acts_per_turn=(1, high), id=id, name=self.profile.name)
            if task is not None
            else None
        )
        self._profile_text, self._profile_ref = render_profile(self.profile)
        behaviour = getattr(self.profile, "behaviour", None)
        self._budget = word_budget(behaviour.verbosity) if behaviour is not None else None
        lines: list[str] = getattr(self.profile, "behaviour_lines", list)()
        self._custom_style = bool(lines)
        self._plans: dict[int, _Plan] = {}
        self._ending: StopReason | None = None
        self._closed_twice = False
        self._late: set[str] = set()

    # -- the state ---------------------------------------------------------------------

    def covered(self, user_turns: Sequence[str], other_turns: Sequence[str] = ()) -> bool:
        """Whether every checklist item is conveyed by the user's turns or obtained from the
        other side's (the validity gate's ``premature_stop`` reads this)."""
        return self.checklist.covered(user_turns, other_turns)

    def _plan(self, view: View) -> _Plan:
        plan = self._plans.get(view.turn_index)
        if plan is None:
            if self._ending is not None:
                plan = self._after_closing(view, self._ending)
            elif self._agenda is not None:
                plan = self._plan_agenda(view)
            else:
                plan = self._plan_free(view)
            if not self._plans:
                plan.metadata.update(self.checklist.to_metadata())
            if plan.stop and plan.content and self.options.last_word == "target":
                # said now; the other side answers; the user leaves on the next turn
                plan.stop = False
                self._ending = plan.stop_reason or "goal_met"
            self._plans[view.turn_index] = plan
        return plan

    def _after_closing(self, view: View, reason: StopReason) -> _Plan:
        """The turn after the user's closing: "no, that's all" once if the other side asked
        something ("anything else?"), else leaving without a word."""
        last = next((m.content for m in reversed(view.messages) if m.role == "user"), "")
        if not self._closed_twice and "?" in last:
            self._closed_twice = True
            content = self._closing(view, _CLOSING)
            return _Plan(content, "No, that's all, thanks.", False, reason)
        return _Plan("", "", True, reason)

    def _given(self, view: View) -> list[DialogueAct]:
        """Requested slots the other side's last message states in a sentence that is not a
        question ("The car type is a black cab."): the keyword NLU knows Cambridge's formats
        (phone numbers, postcodes), a system under test may invent others."""
        assert self._agenda is not None
        last = next((m.content for m in reversed(view.messages) if m.role == "user"), "")
        statements = _statements(last)
        acts: list[DialogueAct] = []
        for domain, slots in self._agenda._requests.items():
            for slot, value in slots.items():
                cue = GIVEN_CUES.get(slot)
                if value is None and cue and any(re.search(cue, s) for s in statements):
                    acts.append(DialogueAct("inform", domain, slot, "given"))
        return acts

    def _unsaid_constraints(self, view: View) -> _Plan | None:
        """Before ending content, the constraints of the goal the user never said (the agenda
        drops one when the other side happens to offer it): a person still says them once."""
        own = [m.content for m in view.messages if m.role == "assistant"]
        theirs = [m.content for m in view.messages if m.role == "user"]
        missing = [
            i
            for i in self.checklist.pending(own, theirs)
            if i.kind == "inform" and i.slot and i.id not in self._late
        ][: self.options.disclosure]
        if not missing:
            return None
        self._late.update(i.id for i in missing)
        said = [f"{(i.slot or '').removeprefix('book ')}: {i.values[-1]}" for i in missing]
        notes = " | ".join([missing[0].domain or "", *said])
        template = "Just to be sure, " + ", ".join(s.replace(":", " is") for s in said) + "."
        acts = ";".join(f"inform({i.domain}-{i.slot}={i.values[-1]})" for i in missing)
        return _Plan(
            notes,
            template,
            metadata={"late_constraints": ",".join(i.id for i in missing)},
            says=values_to_say(acts),
        )

    def _fed_up(self, view: View) -> _Plan | None:
        """A person leaves a system that answered their last two messages with what it had
        already said (:func:`stuck` twice in a row); the gate and the audit count it as the
        system failing the user, not as a premature stop."""
        theirs = [m.content for m in view.messages if m.role == "user"]
        if stuck(theirs) and stuck(theirs[:-1]):
            return _Plan(
                self._closing(view, _GIVE_UP), "Never mind, thanks anyway.", True, "patience"
            )
        return None

    def _closing(self, view: View, content: str) -> str:
        """The notes of a last turn, in the style bank's own words for real closings
        ("thanks", 145 of its 167 last turns with notes; "bye" 22), "no, ..." after a question,
        goodbye now and then."""
        last = next((m.content for m in reversed(view.messages) if m.role == "user"), "")
        if content == _CLOSING and "?" in last:
            content = "no, that's all | thanks"
        rng = random.Random(f"bye:{self.seed}:{view.conversation_id}:{view.turn_index}")
        return f"{content} | bye" if rng.random() < _BYE else content

    def _plan_agenda(self, view: View) -> _Plan:
        assert self._agenda is not None
        system = self._agenda.read_system(view)
        if system is not None:
            own = [m.content for m in view.messages if m.role == "assistant"]
            unstated = {
                i.domain
                for i in self.checklist.pending(own)
                if i.slot is not None and i.slot.startswith("book ")
            }
            # a booking confirmed before the user gave its details is not the user's booking
            system = [
                a
                for a in [*system, *self._given(view)]
                if not (a.domain in unstated and (a.intent == "book" or a.slot == "ref"))
            ]
        reply = self._agenda.step(system)
        meta = dict(reply.metadata)
        if not reply.stop and not self._agenda.satisfied and (fed_up := self._fed_up(view)):
            return fed_up
        if reply.stop and self._agenda.status == "success":
            late = self._unsaid_constraints(view)
            if late:
                return late
        if reply.stop:
            met = self._agenda.status == "success"
            reason: StopReason = "goal_met" if met else "refused"
            content = self._closing(view, _CLOSING if met else _GIVE_UP)
            return _Plan(content, reply.utterance, True, reason, meta)
        acts = meta.get("acts")
        if isinstance(acts, str) and acts:
            notes, says, template = acts_to_notes(acts), values_to_say(acts), reply.utterance
            said = " ".join(m.content for m in view.messages if m.role == "assistant")
            book = "-book " in acts and not _BOOK_WORD.search(said)
            real = self._real_wording(view, acts, book=book)
            if real is not None:
                template = real
            if book:
                # the first booking detail: a person says they want it booked
                notes, says = f"{notes} | book it", [*says, "booking"]
                if not _BOOK_WORD.search(template):
                    template = f"I'd like to book it. {template}"
            source = "real_wording" if real is not None else "template"
            return _Plan(notes, template, metadata=meta, says=says, source=source)
        return _Plan(reply.utterance, reply.utterance, metadata=meta)

    def _real_wording(self, view: View, acts: str, *, book: bool) -> str | None:
        """A real user's wording of this turn's acts (``None``: off, or none fits)."""
        if not self.options.real_wording or self._agenda is None:
            return None
        try:
            parsed = parse_acts(acts)
        except ValueError:  # a value with ")" or ";" in it ("(977) 625-2661"): the template
            return None
        own = any(m.role == "assistant" for m in view.messages)
        earlier = {a.domain for turn in self._agenda.history[:-1] for a in turn}
        placement: Placement = (
            "first" if not own else "new" if {a.domain for a in parsed} - earlier else "same"
        )
        other = [m.content for m in view.messages if m.role == "user"]
        rng = random.Random(f"wording:{self.seed}:{view.conversation_id}:{view.turn_index}")
        own_turns = [m.content for m in view.messages if m.role == "assistant"]
        return RealWording.default().word(
            parsed,
            placement,
            rng,
            book=book,
            question=bool(other) and "?" in other[-1],
            avoid=own_turns,
        )

    def _plan_free(self, view: View) -> _Plan:
        own = [m.content for m in view.messages if m.role == "assistant"]
        theirs = [m.content for m in view.messages if m.role == "user"]
        last = theirs[-1] if theirs else ""
        pending = self.checklist.pending(own)
        refusals = sum(1 for t in theirs if _REFUSED.search(t))
        # progress: user turns since the last one that conveyed something new
        stale = 0
        for k in range(len(own), 0, -1):
            if len(self.checklist.pending(own[:k])) < len(self.checklist.pending(own[: k - 1])):
                break
            stale += 1
        if refusals >= self.options.refusals:
            content = self._closing(view, _GIVE_UP)
            return _Plan(content, "That doesn't work for me, thanks anyway.", True, "refused")
        if fed_up := self._fed_up(view):
            return fed_up
        if not own and not self.checklist.items:
            return _Plan(f"what you want: {self.goal}", self.goal)
        if not pending:
            confirmed = bool(last) and _CONFIRMED.search(last) is not None and "?" not in last
            if confirmed or (stale >= 2 and self.checklist.items):
                template = "Great, thanks for your help. Bye!"
                return _Plan(self._closing(view, _CLOSING), template, True, "goal_met")
        if stale >= self.options.patience:
            content = self._closing(view, _GIVE_UP)
            return _Plan(content, "Never mind, thanks anyway.", True, "patience")
        if "?" in last or _REQUEST.search(last):
            question = last.lower()
            matching = [
                i
                for i in pending
                if any(w in question for w in re.findall(r"[a-z]{4,}", i.text.lower()))
            ]
            if matching:
                chosen = matching[: self.options.disclosure]
                content, template = _phrase(chosen, False)
                return _Plan(content, template, says=[PHRASE + i.text for i in chosen])
            if not pending or not self.checklist.items:
                # a general user still has a name when asked for one
                name = self.profile.name if self.profile.name != "User" else _DEFAULT_NAME
                asked = " ".join(last.split())[:200]
                content = f'answer their question "{asked}" with your own details (name: {name})'
                named = re.search(r"\bname\b", question) is not None
                return _Plan(content, f"It's {name}." if named else "Yes, that's fine.")
        if not pending:
            earlier = [p.content for k, p in sorted(self._plans.items()) if k < view.turn_index]
            if earlier and earlier[-1].startswith("ask: "):
                # asked once and answered without a refusal: a person thanks and leaves
                template = "Great, thanks for your help."
                return _Plan(self._closing(view, _CLOSING), template, True, "goal_met")
            action = next((i.text for i in self.checklist.items if i.kind == "action"), None)
            if action:
                return _Plan(f"ask: go ahead ({action.lower()})", "Great, please go ahead.")
            return _Plan("ask: is that everything I need", "Is that everything I need?")
        chosen = pending[: self.options.disclosure]
        content, template = _phrase(chosen, not own)
        return _Plan(content, template, says=[PHRASE + i.text for i in chosen])

    # -- saying it ---------------------------------------------------------------------

    def build_messages(
        self, view: View, plan: _Plan, *, hint: str | None = None
    ) -> tuple[list[ChatMessage], list[str]]:
        """The request that puts ``plan`` into words, and the refs of the templates used."""
        system_t = get_template("user/goal_state_system")
        turn_t = get_template("user/goal_state_turn")
        own = [m for m in view.messages if m.role == "assistant"]
        position: Position = "last" if plan.stop else ("middle" if own else "first")
        examples = (
            self.style.demonstrations(
                plan.content,
                position=position,
                k=self.options.style_examples,
                seed=self.seed + view.turn_index,
                with_notes=True,
            )
            if self.style is not None
            else []
        )
        system = system_t.render(
            name=self.info.name if self.info.name != "User" else "the customer",
            profile=self._profile_text,
            goal=self.goal,
            instructions=self.instructions,
            custom_style=self._custom_style,
        )
        messages = [ChatMessage(role="system", content=system)]
        for example in examples:
            messages.append(
                ChatMessage(role="user", content=turn_t.render(content=example.notes, hint=None))
            )
            messages.append(ChatMessage(role="assistant", content=example.text))
        messages.append(
            ChatMessage(role="user", content=turn_t.render(content=plan.content, hint=hint))
        )
        return messages, [self._profile_ref, system_t.ref, turn_t.ref]

    def _finish(self, text: str, view: View) -> str:
        others = [p.name for p in view.others]
        text = clean_utterance(
            text.replace(self.stop_sentinel, ""), name=self.info.name, other_names=others
        )
        paragraphs = [p.strip() for p in _PREAMBLE.sub("", text.strip()).split("\n\n") if p.strip()]
        if len(paragraphs) > 1 and paragraphs[0].endswith(":"):
            paragraphs = paragraphs[1:]  # "Here's the customer's message:" then the message
        text = (paragraphs[0] if paragraphs else "").strip('"').strip()
        opener = _OPENER.match(text)
        if opener and text[opener.end() :]:
            # "Sure, ..." opens an assistant's reply far more often than a customer's (7 in 1,000
            # real MultiWOZ user turns); after a question a customer says "yes".
            last = next((m.content for m in reversed(view.messages) if m.role == "user"), "")
            text = ("yes, " if last.rstrip().endswith("?") else "") + text[opener.end() :]
        if self._budget is not None and text:
            text = shorten(text, self._budget)
        return text

    async def _say(self, view: View, *, hint: str | None, attempt: int) -> Reply:
        plan = self._plan(view)
        if plan.stop and not plan.content:  # leaving without a word after the closing
            return Reply(utterance="", stop=True, metadata={"stop_reason": plan.stop_reason})
        metadata: dict[str, str | int | float | bool | None] = {
            **plan.metadata,
            "content": plan.content,
        }
        if plan.stop_reason is not None:
            metadata["stop_reason"] = plan.stop_reason
        if plan.says:
            metadata[SAYS_KEY] = " | ".join(plan.says)
        if attempt >= self.options.template_after:
            template, source = plan.template, plan.source
            if self.options.real_wording:
                rng = random.Random(f"closing:{self.seed}:{view.conversation_id}:{view.turn_index}")
                own = [m.content for m in view.messages if m.role == "assistant"]
                real = RealWording.default().closing(plan.content, rng, avoid=own)
                if real is not None:
                    template, source = real, "real_wording"
            metadata["verbalised_by"] = source
            text, stop = self._knobs(template, plan.stop, view, metadata)
            return Reply(utterance=text, stop=stop, metadata=metadata)
        messages, refs = self.build_messages(view, plan, hint=hint)
        seed = self.config.seed if self.config and self.config.seed is not None else self.seed
        per_call = GenerateConfig(max_tokens=48, stop=["\nAssistant:", "\nYou:"]).merged(
            self.config
        )
        if attempt:
            per_call = per_call.merged(GenerateConfig(seed=seed + 7919 * attempt))
        output = await self.model.generate(messages, config=per_call, templates=refs)
        text = self._finish(output.text, view)
        metadata["verbalised_by"] = "model"
        if self.style is not None:
            examples = [m.content for m in messages[1:-1] if m.role == "assistant"]
            allowed = "\n".join(
                [plan.content, self.goal, self._profile_text, *(m.content for m in view.messages)]
            )
            copied = self.style.copied(text, examples, allowed)
            if copied:
                metadata[COPIED_KEY] = ", ".join(copied)
        text, stop = self._knobs(text, plan.stop, view, metadata)
        return Reply(
            utterance=text,
            stop=stop,
            model_calls=[call_ref(self.model, output)],
            metadata=metadata,
        )

    def _knobs(
        self,
        text: str,
        stop: bool,
        view: View,
        metadata: dict[str, str | int | float | bool | None],
    ) -> tuple[str, bool]:
        """Typos and dropping out, applied mechanically and seeded (as the prompted user does),
        so the persona's knobs take effect whatever the model writes."""
        behaviour = getattr(self.profile, "behaviour", None)
        if behaviour is None or not (behaviour.typo_rate or behaviour.dropout):
            return text, stop
        rng = knob_rng(self.seed, view.conversation_id, view.turn_index)
        if behaviour.typo_rate and text:
            text = add_typos(text, behaviour.typo_rate, rng)
        if behaviour.dropout and not stop and rng.random() < behaviour.dropout:
            stop = True
            metadata["dropped_out"] = True
        return text, stop

    async def respond(self, view: View) -> Reply:
        """The next turn: update the state from ``view``, choose the content, say it."""
        return await self._say(view, hint=None, attempt=0)

    async def regenerate(self, view: View, *, attempt: int, hint: str) -> Reply:
        """The same content worded again (new seed, ``hint`` shown); from ``template_after``
        on, the template wording."""
        return await self._say(view, hint=hint or None, attempt=attempt)
