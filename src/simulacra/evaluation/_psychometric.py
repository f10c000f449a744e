"""The psychometric check (survey §3.2, Appendix B.2): does a simulated persona answer a Big Five
inventory the way its assigned traits say it should?

A scripted :class:`QuestionnaireInterviewer` asks the items of an inventory, one per turn, inside
an ordinary :func:`~simulacra.run_conversation` with a :class:`~simulacra.PromptedUser` playing
the persona.
Answers are parsed (:func:`~simulacra.profiles.parse_answer`), scored with reverse keys
(:func:`~simulacra.profiles.score_answers`), and over a population the measured scores are
correlated with the assigned ones (:func:`psychometric_report`).

Two modes: with ``fresh_context=True`` (default) each item is its own short conversation
(independent answers, short prompts that share the persona's prefix); with ``False`` one
conversation per persona, the history growing by one question and answer per item, as a real
interview would (answers can anchor on earlier ones; long inventories approach the context
window). See docs/psychometrics.md for the measurement that picked the default.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra.conversation import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    View,
)
from simulacra.evaluation._correlation import bootstrap_correlation
from simulacra.evaluation._stats import bootstrap_mean
from simulacra.models import GenerateConfig, Model
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import PromptedUser, Reply
from simulacra.profiles import Inventory, Persona, parse_answer, score_answers
from simulacra.profiles._inventory import InventoryItem

__all__ = [
    "DEFAULT_GOAL",
    "DEFAULT_INSTRUCTIONS",
    "Administration",
    "ItemAnswer",
    "PsychometricReport",
    "QuestionnaireInterviewer",
    "TraitAgreement",
    "administer",
    "administer_population",
    "first_person",
    "psychometric_report",
    "read_answers",
    "trait_agreement",
]

QUESTION = (
    'How accurately does this describe you: "{text}" '
    "Answer with a number from 1 (very inaccurate) to 5 (very accurate)."
)
REASK = 'Please answer with just one number from 1 to 5: how accurately does "{text}" describe you?'
DEFAULT_GOAL = "Answer the interviewer's personality questionnaire honestly, as yourself."
DEFAULT_INSTRUCTIONS = (
    "The interviewer reads statements and asks how accurately each describes you. "
    "Reply with one number from 1 (very inaccurate) to 5 (very accurate) and nothing else."
)


def first_person(text: str) -> str:
    """An IPIP item as a first-person statement: "Am the life of the party." → "I am the life of
    the party." (items are written without the subject; small models misread the fragment)."""
    text = text.strip()
    if not text or text.lower().startswith("i "):
        return text
    return "I " + text[0].lower() + text[1:]


class QuestionnaireInterviewer:
    """A scripted participant that asks inventory items one per turn.

    It re-asks an item once (``reask``) when the answer cannot be parsed, then moves on; after the
    last item it ends the conversation (``target_stop``: it plays the other side). Each question
    turn carries ``item`` and ``attempt`` in its metadata, so answers can be read back from the
    transcript alone.

    Args:
        items: The items to ask, in order.
        reask: Ask an unparseable item once more.
        id: Participant id.
        name: Display name (the simulated user sees it in the transcript).
    """

    def __init__(
        self,
        items: Sequence[InventoryItem],
        *,
        reask: bool = True,
        id: str = "interviewer",
        name: str = "Interviewer",
    ) -> None:
        self.items = list(items)
        self.reask = reask
        self.info = ParticipantInfo(id=id, name=name, kind=ParticipantKind.AI_SYSTEM)
        self._index = -1
        self._attempt = 0

    async def respond(self, view: View) -> Reply:
        if self._index >= 0:
            last = view.messages[-1] if view.messages else None
            answered = last is not None and last.role == "user"
            parsed = answered and last is not None and parse_answer(last.content) is not None
            if not parsed and self.reask and self._attempt == 1:
                item = self.items[self._index]
                self._attempt = 2
                return Reply(
                    utterance=REASK.format(text=first_person(item.text)),
                    metadata={"item": item.id, "attempt": 2},
                )
        self._index += 1
        if self._index >= len(self.items):
            return Reply(utterance="", stop=True)
        item = self.items[self._index]
        self._attempt = 1
        return Reply(
            utterance=QUESTION.format(text=first_person(item.text)), metadata={"item": item.id}
        )


class ItemAnswer(BaseModel):
    """One item's answer.

    Attributes:
        item: Item id.
        value: The parsed answer on the inventory's scale (``None``: missing).
        raw: What the persona said, one entry per attempt.
    """

    model_config = ConfigDict(extra="forbid")

    item: str
    value: int | None = None
    raw: list[str] = Field(default_factory=list)


class Administration(BaseModel):
    """One persona's questionnaire: answers, measured and assigned trait scores.

    Attributes:
        persona_id: The persona's id.
        inventory: ``id@version`` of the inventory.
        answers: One per item, in inventory order.
        measured: Trait → score from the answers (``None``: no item of that trait answered).
        assigned: Trait → the persona's own Big Five score (``None``: not set).
        conversations: How many conversations it took.
        terminations: Why each conversation ended.
        errors: Errors that ended a conversation early (as data).
    """

    model_config = ConfigDict(extra="forbid")

    persona_id: str
    inventory: str
    answers: list[ItemAnswer]
    measured: dict[str, float | None]
    assigned: dict[str, float | None]
    conversations: int = 1
    terminations: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)

    @property
    def answered(self) -> int:
        """Items with a parsed answer."""
        return sum(a.value is not None for a in self.answers)


def read_answers(
    conversation: Conversation, *, interviewer_id: str = "interviewer"
) -> dict[str, list[str]]:
    """Item id → the replies that followed each question about it, read from the transcript."""
    out: dict[str, list[str]] = {}
    turns = conversation.turns
    for i, turn in enumerate(turns):
        item = turn.metadata.get("item") if turn.speaker == interviewer_id else None
        if item is None:
            continue
        reply = turns[i + 1] if i + 1 < len(turns) else None
        if reply is not None and reply.speaker != interviewer_id:
            out.setdefault(str(item), []).append(reply.utterance)
    return out


def _questionnaire_persona(persona: Persona) -> Persona:
    # The mechanical noise knobs are not personality: a dropout would end the questionnaire and a
    # typo could change a digit. The persona is otherwise rendered exactly as in any run.
    if not (persona.behaviour.dropout or persona.behaviour.typo_rate):
        return persona
    behaviour = persona.behaviour.model_copy(update={"dropout": None, "typo_rate": None})
    return persona.model_copy(update={"behaviour": behaviour})


async def administer(
    persona: Persona,
    model: Model,
    inventory: Inventory,
    *,
    fresh_context: bool = True,
    reask: bool = True,
    prompting: Literal["transcript", "chat"] = "chat",
    config: GenerateConfig | None = None,
    goal: str = DEFAULT_GOAL,
    instructions: str | None = DEFAULT_INSTRUCTIONS,
) -> Administration:
    """Administer ``inventory`` to ``persona`` through the normal conversation loop.

    Args:
        persona: Who answers (its ``big_five`` is the assigned score).
        model: The model that plays the persona.
        inventory: The items.
        fresh_context: One short conversation per item (default: independent answers, a prompt
            that does not grow; on the embedded model the same response rate as ``False`` and
            less anchoring on earlier answers). ``False``: one conversation for the whole
            inventory, history kept.
        reask: Re-ask an item once when its answer cannot be parsed.
        prompting: The :class:`~simulacra.PromptedUser` technique. ``"chat"`` (default) passes
            each question as a chat message, which a small instruct model answers directly;
            the customer-framed ``"transcript"`` prompt makes small models ask what is meant.
        config: Per-call options of the persona's model (default: ``max_tokens=10``).
        goal: The simulated user's goal.
        instructions: Extra instructions to the simulated user.

    Returns:
        The answers and scores. Errors inside a conversation are recorded, never raised.
    """
    person = _questionnaire_persona(persona)
    per_call = GenerateConfig(max_tokens=10).merged(config)
    groups = [[item] for item in inventory.items] if fresh_context else [inventory.items]
    raw: dict[str, list[str]] = {}
    terminations: list[str] = []
    errors: list[str] = []
    for n, items in enumerate(groups):
        user = PromptedUser(
            model,
            goal=goal,
            profile=person,
            instructions=instructions,
            prompting=prompting,
            config=per_call,
        )
        interviewer = QuestionnaireInterviewer(items, reask=reask)
        conversation = await run_conversation(
            [interviewer, user],
            stop=StopConditions(max_turns=len(items) * (4 if reask else 2) + 1),
            conversation_id=f"psychometric:{persona.profile_id()}:{n}",
            metadata={"inventory": inventory.ref, "persona": persona.profile_id()},
        )
        terminations.append(str(conversation.termination))
        if conversation.error:
            errors.append(conversation.error)
        raw.update(read_answers(conversation, interviewer_id=interviewer.info.id))
        if conversation.termination is TerminationReason.INFRASTRUCTURE_ERROR:
            break
    answers = []
    for item in inventory.items:
        replies = raw.get(item.id, [])
        values = [
            parse_answer(r, low=inventory.scale.min, high=inventory.scale.max) for r in replies
        ]
        value = next((v for v in values if v is not None), None)
        answers.append(ItemAnswer(item=item.id, value=value, raw=replies))
    measured = score_answers(inventory, {a.item: a.value for a in answers})
    big_five = persona.big_five
    assigned = {t: (getattr(big_five, t) if big_five else None) for t in inventory.traits()}
    return Administration(
        persona_id=persona.profile_id(),
        inventory=inventory.ref,
        answers=answers,
        measured=measured,
        assigned=assigned,
        conversations=len(terminations),
        terminations=terminations,
        errors=errors,
    )


async def administer_population(
    personas: Sequence[Persona],
    model: Model,
    inventory: Inventory,
    *,
    concurrency: int = 4,
    fresh_context: bool = True,
    reask: bool = True,
    prompting: Literal["transcript", "chat"] = "chat",
    config: GenerateConfig | None = None,
    goal: str = DEFAULT_GOAL,
    instructions: str | None = DEFAULT_INSTRUCTIONS,
    on_done: Callable[[Administration], None] | None = None,
) -> list[Administration]:
    """Administer the inventory to every persona, ``concurrency`` personas at a time.

    (The :class:`~simulacra.models.Model` still limits concurrent calls per provider; an embedded
    model reuses its KV cache best with ``concurrency=1``, one persona's prompts in a row.)

    Args:
        personas: Who answers.
        model: The model that plays them.
        inventory: The items.
        concurrency: Personas administered at once.
        fresh_context: See :func:`administer`.
        reask: See :func:`administer`.
        prompting: See :func:`administer`.
        config: See :func:`administer`.
        goal: See :func:`administer`.
        instructions: See :func:`administer`.
        on_done: Called with each finished administration (progress).

    Returns:
        One administration per persona, in the input order.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be >= 1")
    gate = asyncio.Semaphore(concurrency)

    async def one(persona: Persona) -> Administration:
        async with gate:
            result = await administer(
                persona,
                model,
                inventory,
                fresh_context=fresh_context,
                reask=reask,
                prompting=prompting,
                config=config,
                goal=goal,
                instructions=instructions,
            )
        if on_done is not None:
            on_done(result)
        return result

    return list(await asyncio.gather(*(one(p) for p in personas)))


class TraitAgreement(BaseModel):
    """Agreement of assigned and measured scores for one trait over a population.

    Attributes:
        trait: The trait.
        n: Personas with both an assigned and a measured score.
        pearson: Pearson's r (``None``: undefined, e.g. constant scores or n < 3).
        pearson_ci: 95% percentile-bootstrap interval of r.
        spearman: Spearman's ρ.
        spearman_ci: Its 95% bootstrap interval.
        mae: Mean absolute difference, on the 1-5 scale.
        mae_ci: Its 95% bootstrap interval.
    """

    model_config = ConfigDict(extra="forbid")

    trait: str
    n: int
    pearson: float | None = None
    pearson_ci: tuple[float, float] | None = None
    spearman: float | None = None
    spearman_ci: tuple[float, float] | None = None
    mae: float | None = None
    mae_ci: tuple[float, float] | None = None


class PsychometricReport(BaseModel):
    """The psychometric check of a population.

    Attributes:
        inventory: ``id@version``.
        model: The model that played the personas.
        fresh_context: Whether each item had its own conversation.
        personas: Personas administered.
        traits: Per-trait agreement.
        mean_pearson: Mean of the defined per-trait Pearson r.
        response_rate: Share of item answers that could be parsed.
        item_missing: Item id → personas whose answer was missing.
        administrations: Every persona's answers.
    """

    model_config = ConfigDict(extra="forbid")

    inventory: str
    model: str
    fresh_context: bool
    personas: int
    traits: list[TraitAgreement]
    mean_pearson: float | None
    response_rate: float
    item_missing: dict[str, int]
    administrations: list[Administration] = Field(default_factory=list)


def _ci(low: float, high: float) -> tuple[float, float]:
    return (round(low, 4), round(high, 4))


def trait_agreement(
    trait: str, pairs: Sequence[tuple[float, float]], *, seed: int = 0
) -> TraitAgreement:
    """Pearson, Spearman and MAE with bootstrap intervals for (assigned, measured) pairs."""
    # Imported here: simulacra.evaluation imports simulacra.conversation, which imports profiles.

    row = TraitAgreement(trait=trait, n=len(pairs))
    if not pairs:
        return row
    x = [a for a, _ in pairs]
    y = [m for _, m in pairs]
    mae = bootstrap_mean([abs(a - m) for a, m in pairs], seed=seed)
    row.mae, row.mae_ci = round(mae.value, 4), _ci(mae.low, mae.high)
    if len(pairs) >= 3:
        r = bootstrap_correlation(x, y, method="pearson", seed=seed)
        if r is not None:
            row.pearson, row.pearson_ci = round(r.value, 4), _ci(r.low, r.high)
        rho = bootstrap_correlation(x, y, method="spearman", seed=seed)
        if rho is not None:
            row.spearman, row.spearman_ci = round(rho.value, 4), _ci(rho.low, rho.high)
    return row


def psychometric_report(
    administrations: Sequence[Administration],
    inventory: Inventory,
    *,
    model: str,
    fresh_context: bool = False,
    seed: int = 0,
) -> PsychometricReport:
    """Summarise administrations: per-trait agreement, response rate, missing items.

    Args:
        administrations: One per persona.
        inventory: The inventory they answered.
        model: Name of the model (recorded).
        fresh_context: Recorded.
        seed: Seed of the bootstrap.
    """
    traits = []
    for trait in inventory.traits():
        pairs = [
            (a, m)
            for adm in administrations
            if (a := adm.assigned.get(trait)) is not None
            and (m := adm.measured.get(trait)) is not None
        ]
        traits.append(trait_agreement(trait, pairs, seed=seed))
    rs = [t.pearson for t in traits if t.pearson is not None]
    total = len(administrations) * len(inventory.items)
    answered = sum(adm.answered for adm in administrations)
    missing = {
        item.id: sum(
            1
            for adm in administrations
            for a in adm.answers
            if a.item == item.id and a.value is None
        )
        for item in inventory.items
    }
    return PsychometricReport(
        inventory=inventory.ref,
        model=model,
        fresh_context=fresh_context,
        personas=len(administrations),
        traits=traits,
        mean_pearson=round(statistics.fmean(rs), 4) if rs else None,
        response_rate=round(answered / total, 4) if total else 0.0,
        item_missing=missing,
        administrations=list(administrations),
    )
