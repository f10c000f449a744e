"""Recipe: simulated students with misconceptions and a tutor (survey Appendix G.2).

Each misconception (a YAML file, see ``examples/recipes/misconceptions.yaml``) becomes simulated
students who hold it firmly and bring it up; the tutor under test answers. Per misconception the
report counts the conversations in which the tutor corrected it, by two detectors that can be
compared: a rule (a correction keyword in the tutor's turns) and an LLM judge (a yes/no rubric
naming the misconception and the correct idea). Counts come with Wilson intervals and n.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simulacra._validation import duplicates, load_yaml_model
from simulacra.conversation import Conversation, ParticipantKind
from simulacra.errors import ConfigError
from simulacra.evaluation import Rubric, RubricJudge, conversation_items
from simulacra.evaluation._rubric import Dimension, Scale
from simulacra.models import Model
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import (
    ModelTarget,
    Participant,
    PromptedUser,
    ValidityOptions,
    gate_user,
    is_simulator_invalid,
    mark_simulator_validity,
)
from simulacra.profiles import Persona
from simulacra.recipes._common import estimate

__all__ = [
    "Misconception",
    "MisconceptionSet",
    "corrected_by_rule",
    "correction_rubric",
    "education_report",
    "load_misconceptions",
    "run_education",
]

_STUDENTS = ("Sam", "Priya", "Leo", "Ana", "Kofi", "Mia")


class Misconception(BaseModel):
    """A wrong belief a student holds, the right idea, and words that signal a correction."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    topic: str
    belief: str
    correct: str
    keywords: list[str] = Field(min_length=1)


class MisconceptionSet(BaseModel):
    """The recipe's input file: the tutor's system prompt and the misconceptions."""

    model_config = ConfigDict(extra="forbid")
    tutor_prompt: str = "You are a patient tutor for 14-year-old students. Answer briefly."
    misconceptions: list[Misconception] = Field(min_length=1)


def load_misconceptions(path: str | Path) -> MisconceptionSet:
    """Read and validate a misconceptions file (one-line :class:`ConfigError` on bad input)."""
    path = Path(path)
    data = load_yaml_model(path, MisconceptionSet)
    ids = [m.id for m in data.misconceptions]
    dupes = duplicates(ids)
    if dupes:
        raise ConfigError(f"{path}: misconceptions: duplicate id(s) {', '.join(dupes)}")
    return data


def student_goal(m: Misconception) -> str:
    """The student's goal: bring up the belief and hold it until convinced."""
    return (
        f"You are doing homework about {m.topic}. You are sure that: {m.belief} Say this belief "
        "in your first message and ask the tutor to confirm it. Only change your mind if the "
        "tutor explains why you are wrong."
    )


def corrected_by_rule(conversation: Conversation, m: Misconception) -> bool:
    """Whether a tutor turn contains one of the correction keywords (case-insensitive)."""
    ai = {p.id for p in conversation.participants if p.kind is ParticipantKind.AI_SYSTEM}
    said = " ".join(t.utterance.lower() for t in conversation.turns if t.speaker in ai)
    return any(k.lower() in said for k in m.keywords)


def correction_rubric(m: Misconception) -> Rubric:
    """A yes/no dialogue-level rubric for one misconception."""
    return Rubric(
        id=f"corrected-{m.id}",
        version=1,
        level="dialogue",
        instructions=(
            f"A student believes something wrong: {m.belief} The correct idea is: {m.correct} "
            "Decide whether the tutor in this conversation corrected the student's wrong belief."
        ),
        scale=Scale(min=0, max=1),
        dimensions=[
            Dimension(
                name="corrected",
                description="Did the tutor say the belief is wrong and give the correct idea?",
                anchors={0: "no (agreed, ignored it, or was unclear)", 1: "yes"},
            )
        ],
    )


async def run_education(
    data: MisconceptionSet,
    *,
    student_model: Model,
    tutor: Participant | None = None,
    tutor_model: Model | None = None,
    judge_model: Model | None = None,
    students: int = 1,
    max_turns: int = 4,
) -> tuple[list[Conversation], dict[str, Any]]:
    """Run ``students`` conversations per misconception against ``tutor`` (default: a chat
    model with ``data.tutor_prompt``), detect corrections, and report."""
    if tutor is None and tutor_model is None:
        raise ValueError("give a tutor participant or a tutor_model")
    conversations: list[Conversation] = []
    for m in data.misconceptions:
        for s in range(students):
            name = _STUDENTS[s % len(_STUDENTS)]
            profile = Persona(
                id=f"student-{name.lower()}",
                name=name,
                description="A 14-year-old secondary school student.",
                demographics={"age": 14, "occupation": "student"},
            )
            # behind the validity gate: a student who lectures like the tutor is the simulator's
            # fault, flagged (``simulator_invalid``) and left out of the report
            student = gate_user(
                PromptedUser(student_model, goal=student_goal(m), profile=profile),
                ValidityOptions(),
                goal=student_goal(m),
                profile=profile,
            )
            teacher = tutor
            if teacher is None:
                assert tutor_model is not None  # checked above
                teacher = ModelTarget(tutor_model, system_prompt=data.tutor_prompt, name="Tutor")
            c = await run_conversation(
                [student, teacher],
                stop=StopConditions(max_turns=max_turns),
                conversation_id=f"{m.id}-{s}",
                scenario_id=m.id,
            )
            mark_simulator_validity(c)
            c.metadata.update(misconception=m.id, corrected_rule=corrected_by_rule(c, m))
            if judge_model is not None:
                [verdict] = await RubricJudge(judge_model, correction_rubric(m)).judge(
                    conversation_items([c], level="dialogue")
                )
                c.metadata["corrected_judge"] = (
                    bool(verdict.scores["corrected"]) if verdict.scores else None
                )
                c.metadata["judge_explanation"] = verdict.explanation or verdict.error
            conversations.append(c)
    return conversations, education_report(conversations, data.misconceptions)


def education_report(
    conversations: Sequence[Conversation], misconceptions: Sequence[Misconception]
) -> dict[str, Any]:
    """Per misconception: corrected counts by rule and by judge, with Wilson intervals.
    Conversations whose student failed the validity gate (``simulator_invalid``) are the
    simulator's fault, not the tutor's: they are counted apart and left out of the rates."""
    invalid = [c for c in conversations if is_simulator_invalid(c)]
    conversations = [c for c in conversations if not is_simulator_invalid(c)]
    rows = []
    for m in misconceptions:
        mine = [c for c in conversations if c.metadata.get("misconception") == m.id]
        rule = sum(bool(c.metadata.get("corrected_rule")) for c in mine)
        judged = [c.metadata["corrected_judge"] for c in mine if "corrected_judge" in c.metadata]
        scored = [j for j in judged if j is not None]
        rows.append(
            {
                "misconception": m.id,
                "n": len(mine),
                "corrected_rule": estimate(rule, len(mine)),
                "corrected_judge": estimate(sum(map(bool, scored)), len(scored))
                if judged
                else None,
                "judge_unscored": len(judged) - len(scored),
            }
        )
    both = [c for c in conversations if c.metadata.get("corrected_judge") is not None]
    agree = sum(c.metadata["corrected_rule"] == c.metadata["corrected_judge"] for c in both)
    rule_all = sum(bool(c.metadata.get("corrected_rule")) for c in conversations)
    return {
        "recipe": "education",
        "simulator_invalid": len(invalid),
        "corrected_rule": estimate(rule_all, len(conversations)),
        "rule_judge_agreement": estimate(agree, len(both)) if both else None,
        "misconceptions": rows,
    }
