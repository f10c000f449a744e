"""``debate``: agents argue assigned positions on a motion, and a judge decides (survey §4.3, C.3).

Two or more debaters (default: a proponent and an opponent of the motion, the scenario's
``goal``) speak in turn for ``rounds`` rounds. After each round every debater states where it now
stands (JSON: ``stance`` pro|con|undecided and ``confidence``); changes of stance are recorded as
``position_change`` events and on the debater's turn. At the end a judge (model role ``judge``)
explains and then names the winner (JSON, schema-constrained; one retry; a malformed verdict is
recorded, not raised).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulacra.conversation import Conversation, ParticipantInfo, TerminationReason, Turn, View
from simulacra.models import ChatMessage, GenerateConfig, Model, record_calls
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.paradigms._agents import (
    ModelAgent,
    TurnBuilder,
    merge_calls,
    one_line,
    parse_json_object,
    slug,
)
from simulacra.paradigms._registry import ParadigmContext, ParadigmOptions, register_paradigm
from simulacra.prompts import get_template

__all__ = ["DebateOptions", "Debater", "Stance"]

Stance = Literal["pro", "con", "undecided"]
_STANCES: tuple[Stance, ...] = ("pro", "con", "undecided")
_SIDES = {"pro": "for the motion", "con": "against the motion"}
_EXPLANATION_CHARS = 300
_POSITION_SCHEMA = {
    "type": "object",
    "properties": {
        "stance": {"type": "string", "enum": list(_STANCES)},
        "confidence": {"type": "number"},
    },
    "required": ["stance", "confidence"],
}


class Debater(BaseModel):
    """One debater.

    Attributes:
        name: Display name (its participant id is derived from it).
        position: ``pro`` (for the motion), ``con`` (against it) or any position in words.
        stance: Its stance before the debate (default: ``pro``/``con`` from ``position``,
            ``undecided`` for a position in words).
        model: Model role that plays it (default: the debate's ``debater_model``).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    position: str = Field(default="pro", min_length=1)
    stance: Stance | None = None
    model: str | None = None

    @property
    def position_text(self) -> str:
        """The assigned position as said to the debater and the judge."""
        return _SIDES.get(self.position, self.position)

    @property
    def initial_stance(self) -> Stance:
        """Where it stands before the debate."""
        if self.stance is not None:
            return self.stance
        return "pro" if self.position == "pro" else "con" if self.position == "con" else "undecided"


def _default_debaters() -> list[Debater]:
    return [Debater(name="Proponent", position="pro"), Debater(name="Opponent", position="con")]


class DebateOptions(ParadigmOptions):
    """Options of ``debate`` (its ``paradigm:`` section).

    Attributes:
        debaters: Who debates, in speaking order (at least two).
        rounds: Rounds; in each, every debater speaks once.
        debater_model: Model role of the debaters (unless a debater names its own).
        judge_model: Model role of the judge; ``null``: no verdict.
        track_positions: Ask every debater for its stance after each round.
    """

    debaters: list[Debater] = Field(default_factory=_default_debaters)
    rounds: int = Field(default=3, ge=1, le=100)
    debater_model: str = "debater"
    judge_model: str | None = "judge"
    track_positions: bool = True

    @field_validator("debaters")
    @classmethod
    def _enough_debaters(cls, value: list[Debater]) -> list[Debater]:
        if len(value) < 2:
            raise ValueError(f"a debate needs at least 2 debaters, got {len(value)}")
        ids = [slug(d.name) for d in value]
        dupes = sorted({d.name for d, i in zip(value, ids, strict=True) if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"debater names must differ, got {', '.join(map(repr, dupes))}")
        return value

    def model_roles(self) -> list[str]:
        """The debaters' model roles and the judge's."""
        roles = [d.model or self.debater_model for d in self.debaters]
        if self.judge_model:
            roles.append(self.judge_model)
        return list(dict.fromkeys(roles))


def _turn_builder(rounds: int, debaters: Sequence[Debater]) -> TurnBuilder:
    template = get_template("ai_ai/debate_turn")
    by_name = {d.name: d for d in debaters}

    def build(view: View) -> tuple[str, str]:
        debater = by_name[view.participant.name]
        text = template.render(
            transcript=view.transcript(self_label="You"),
            round=view.turn_index // len(debaters) + 1,
            rounds=rounds,
            name=debater.name,
            position=debater.position_text,
        )
        return text, template.ref

    return build


class _Positions:
    """Asks every debater for its stance after each round, and records what it says.

    Used as the turn policy (round robin) so that the poll happens between rounds, inside the
    loop; it never raises: a failed or malformed answer is recorded as ``position_error``.
    """

    def __init__(
        self,
        debaters: Sequence[Debater],
        ids: Sequence[str],
        models: Sequence[Model],
        *,
        motion: str,
        seed: int,
        enabled: bool,
    ) -> None:
        self.debaters = list(debaters)
        self.ids = list(ids)
        self.models = list(models)
        self.motion = motion
        self.seed = seed
        self.enabled = enabled
        self.stances: dict[str, Stance] = {
            i: d.initial_stance for i, d in zip(ids, debaters, strict=True)
        }
        self.polled: set[int] = set()
        self.changes = 0

    async def __call__(
        self, conversation: Conversation, participants: Sequence[ParticipantInfo], _: str | None
    ) -> str:
        done = len(conversation.turns)
        count = len(participants)
        if done and done % count == 0:
            await self.poll(conversation, done // count)
        return participants[done % count].id

    async def poll(self, conversation: Conversation, round_: int) -> None:
        """Record every debater's stance after ``round_`` (once per round)."""
        if not self.enabled or round_ in self.polled:
            return
        self.polled.add(round_)
        await asyncio.gather(
            *(self._ask(conversation, round_, k) for k in range(len(self.debaters)))
        )

    async def _ask(self, conversation: Conversation, round_: int, k: int) -> None:
        debater, pid, model = self.debaters[k], self.ids[k], self.models[k]
        template = get_template("ai_ai/debate_position")
        prompt = template.render(
            name=debater.name,
            motion=self.motion,
            position=debater.position_text,
            transcript=conversation.view_for(pid).transcript(self_label="You"),
        )
        where: dict[str, object] = {
            "turn": len(conversation.turns),
            "round": round_,
            "debater": pid,
        }
        try:
            output = await model.generate(
                [ChatMessage(role="user", content=prompt)],
                config=GenerateConfig(json_schema=_POSITION_SCHEMA, seed=self.seed),
                templates=[template.ref],
            )
        except Exception as exc:  # a failed poll is data; the debate goes on
            conversation.events.append({"type": "position_error", **where, "error": one_line(exc)})
            return
        parsed = parse_json_object(output.text)
        stance = parsed.get("stance") if parsed else None
        confidence = parsed.get("confidence") if parsed else None
        if stance not in _STANCES or not isinstance(confidence, int | float):
            conversation.events.append(
                {
                    "type": "position_error",
                    **where,
                    "error": "no stance pro|con|undecided with a numeric confidence",
                    "raw": output.text[:300],
                    "call_id": output.call_id,
                }
            )
            return
        new: Stance = stance
        level = min(1.0, max(0.0, float(confidence)))
        previous = self.stances[pid]
        changed = new != previous
        self.stances[pid] = new
        conversation.events.append(
            {
                "type": "position",
                **where,
                "stance": new,
                "confidence": level,
                "previous": previous,
                "changed": changed,
                "call_id": output.call_id,
            }
        )
        if changed:
            self.changes += 1
            conversation.events.append(
                {"type": "position_change", **where, "from": previous, "to": new}
            )
        # The debater's own turn of this round carries where it stood after it.
        index = (round_ - 1) * len(self.ids) + k
        if index < len(conversation.turns) and conversation.turns[index].speaker == pid:
            meta = conversation.turns[index].metadata
            meta.update(stance=new, confidence=level, stance_changed=changed)


async def _judge(
    conversation: Conversation,
    options: DebateOptions,
    ids: Sequence[str],
    model: Model,
    *,
    motion: str,
    seed: int,
) -> None:
    """Ask the judge for a verdict (one retry) and record it, or record why there is none."""
    template = get_template("ai_ai/debate_judge")
    names = [d.name for d in options.debaters]
    choices = [*names, "tie"]
    transcript = "\n".join(
        f"{conversation.participant(t.speaker).name}: {t.utterance}" for t in conversation.turns
    )
    schema = {
        "type": "object",
        "properties": {
            "explanation": {"type": "string", "maxLength": _EXPLANATION_CHARS},
            "winner": {"type": "string", "enum": choices},
        },
        "required": ["explanation", "winner"],
    }
    turn = len(conversation.turns)
    problem, raw, call_ids = "", "", []
    for attempt in (1, 2):
        prompt = template.render(
            motion=motion,
            debaters=[{"name": d.name, "position": d.position_text} for d in options.debaters],
            transcript=transcript,
            choices=choices,
            problem=problem,
        )
        try:
            output = await model.generate(
                [ChatMessage(role="user", content=prompt)],
                config=GenerateConfig(json_schema=schema, seed=seed + attempt - 1),
                templates=[template.ref],
            )
        except Exception as exc:
            problem, raw = one_line(exc), ""
            continue
        call_ids.append(output.call_id)
        raw = output.text
        parsed = parse_json_object(raw)
        winner = parsed.get("winner") if parsed else None
        explanation = parsed.get("explanation") if parsed else None
        match = next(
            (c for c in choices if isinstance(winner, str) and c.lower() == winner.strip().lower()),
            None,
        )
        if match is None or not isinstance(explanation, str):
            problem = f"no JSON with 'explanation' and 'winner' in {choices}"
            continue
        winner_id = None if match == "tie" else ids[names.index(match)]
        conversation.events.append(
            {
                "type": "verdict",
                "turn": turn,
                "winner": match,
                "winner_id": winner_id,
                "explanation": explanation.strip(),
                "attempts": attempt,
                "call_ids": call_ids,
                "template": template.ref,
            }
        )
        conversation.metadata.update(winner=match, winner_id=winner_id)
        return
    conversation.events.append(
        {
            "type": "verdict_error",
            "turn": turn,
            "attempts": 2,
            "error": problem,
            "raw": raw[:500],
            "call_ids": call_ids,
            "template": template.ref,
        }
    )
    conversation.metadata.update(winner=None, verdict_error=problem)


@register_paradigm("debate", options=DebateOptions)
async def debate(options: DebateOptions, ctx: ParadigmContext) -> Conversation:
    """Run one debate on the motion ``ctx.goal``: rounds, position polls, then the verdict."""
    debaters = options.debaters
    ids = [slug(d.name) for d in debaters]
    models = [ctx.models[d.model or options.debater_model] for d in debaters]
    system = get_template("ai_ai/debater")
    build = _turn_builder(options.rounds, debaters)
    agents = [
        ModelAgent(
            model,
            id=pid,
            name=d.name,
            system=system.render(
                name=d.name,
                others=", ".join(o.name for o in debaters if o is not d),
                motion=ctx.goal,
                position=d.position_text,
                instructions=ctx.instructions,
            ),
            templates=[system.ref],
            turn=build,
            config=GenerateConfig(seed=ctx.seed),
        )
        for d, pid, model in zip(debaters, ids, models, strict=True)
    ]
    positions = _Positions(
        debaters, ids, models, motion=ctx.goal, seed=ctx.seed, enabled=options.track_positions
    )
    total = options.rounds * len(debaters)
    stop = ctx.stop
    conversation = await run_conversation(
        agents,
        policy=positions,
        stop=StopConditions(
            max_turns=total,
            token_budget=stop.token_budget,
            timeout=stop.timeout,
            stall_window=stop.stall_window,
            stall_similarity=stop.stall_similarity,
        ),
        conversation_id=ctx.conversation_id,
        scenario_id=ctx.scenario_id,
        opening=[Turn(speaker=ids[0], utterance=ctx.opening)] if ctx.opening else [],
        metadata={**ctx.metadata, "motion": ctx.goal, "rounds": options.rounds},
    )
    for index, turn in enumerate(conversation.turns):
        k = index % len(debaters)
        turn.metadata.setdefault("round", index // len(debaters) + 1)
        turn.metadata.setdefault("position", debaters[k].position)
    with record_calls() as log:
        if conversation.termination is TerminationReason.MAX_TURNS:
            await positions.poll(conversation, options.rounds)  # the last round's positions
        failed = conversation.termination is not None and conversation.termination.is_error
        if options.judge_model and conversation.turns and not failed:
            model = ctx.models[options.judge_model]
            await _judge(conversation, options, ids, model, motion=ctx.goal, seed=ctx.seed)
    merge_calls(conversation, log)
    conversation.metadata["position_changes"] = positions.changes
    for pid, stance in positions.stances.items():
        conversation.metadata[f"final_stance.{pid}"] = stance
    return conversation
