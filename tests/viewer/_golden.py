"""Golden run directories for the viewer tests, written with the real :class:`RunWriter`.

Two runs (A and B) over the same scenarios and profiles, so that comparison pairs them; each
conversation has model calls with latency and tokens, and some have hidden reasoning, retrieved
passages, judge verdicts and an error. One utterance is hostile markup (``XSS``): the viewer
and the report must show it as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from simulacra.conversation import (
    Conversation,
    ModelCallRef,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    Turn,
)
from simulacra.evaluation._drift import CurvePoint, DriftReport
from simulacra.evaluation._stats import Estimate
from simulacra.profiles import GeneralUser, Persona
from simulacra.runs import RunWriter

XSS = (
    '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"><b>bold?</b> & "quotes"'
)

PROFILES = {
    "maya": Persona(
        id="maya",
        name="Maya",
        description="A nurse who works night shifts.",
        attributes={"occupation": "nurse", "age": 34},
    ),
    "tomas": Persona(
        id="tomas",
        name="Tomas <i>the teacher</i>",
        description="A retired teacher.",
        attributes={"occupation": "teacher", "age": 71},
    ),
    "general": GeneralUser(id="general"),
}
SCENARIOS = {
    "book-double": "Book a double room for two nights from 12 to 14 March.",
    "ask-breakfast": "Find out until when breakfast is served.",
}


@dataclass(frozen=True)
class Golden:
    """Where the golden runs are and what is in them."""

    a: Path
    b: Path
    xss_id: str
    reasoning_id: str
    nurse_ids: tuple[str, ...]
    scores: dict[str, float]


def _conversation(
    cid: str,
    profile: str,
    scenario: str,
    epoch: int,
    utterances: list[str],
    termination: TerminationReason,
    *,
    reasoning: str | None = None,
    retrieved: str | None = None,
    error: str | None = None,
) -> Conversation:
    user = ParticipantInfo(
        id="user",
        name=PROFILES[profile].name,
        kind=ParticipantKind.SIMULATED_HUMAN,
        profile=PROFILES[profile],
    )
    target = ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM)
    c = Conversation(
        id=cid,
        participants=[user, target],
        scenario_id=scenario,
        metadata={"profile_id": profile, "epoch": epoch, "seed": 7},
        started_at=1000.0,
        ended_at=1012.5,
    )
    for i, text in enumerate(utterances):
        speaker = "user" if i % 2 == 0 else "assistant"
        call_id = f"{cid}-call{i}"
        metadata: dict[str, str | int | float | bool | None] = {}
        if retrieved and speaker == "user":
            metadata = {
                "retrieval.retrieved": True,
                "retrieval.ids": "mw-1,mw-2",
                "retrieval.context": retrieved,
            }
        c.append(
            Turn(
                speaker=speaker,
                utterance=text,
                time=1000.0 + i,
                reasoning=reasoning if speaker == "user" else None,
                model_calls=[
                    ModelCallRef(
                        call_id=call_id,
                        role="user" if speaker == "user" else "target",
                        model="embedded:tiny",
                    )
                ],
                metadata=metadata,
            )
        )
        c.model_calls.append(
            {
                "call_id": call_id,
                "role": "user" if speaker == "user" else "target",
                "model": "embedded:tiny",
                "latency_s": 0.25 + i,
                "cached": False,
                "attempts": 1,
                "usage": {"prompt_tokens": 100 + i, "completion_tokens": 10 + i},
                "messages": [{"role": "system", "content": f"Your goal: {SCENARIOS[scenario]}"}],
                "output": text,
                "finish_reason": "stop",
            }
        )
    c.termination = termination
    c.ended_by = {
        TerminationReason.USER_STOP: "user",
        TerminationReason.GOAL_REACHED: "goal_check",
        TerminationReason.TARGET_ERROR: "assistant",
    }.get(termination, "loop")
    c.error = error
    c.usage = {"prompt_tokens": 400, "completion_tokens": 40}
    return c


def _write(directory: Path, name: str, convs: list[Conversation]) -> None:
    manifest = {
        "name": name,
        "status": "complete",
        "config_path": f"examples/{name}.yaml",
        "config": {
            "name": name,
            "epochs": 1,
            "profiles": [p.model_dump(mode="json") for p in PROFILES.values()],
            "scenarios": [{"id": k, "goal": v} for k, v in SCENARIOS.items()],
            "stop": {"max_turns": 6},
        },
        "models": {"user": {"name": "embedded:tiny"}, "target": {"name": "embedded:tiny"}},
    }
    writer = RunWriter(directory, manifest)
    for c in convs:
        writer.write(c)
    writer.close()


def make_golden(root: Path) -> Golden:
    """Write runs A and B under ``root`` (with judgments and report files beside A)."""
    a = [
        _conversation(
            "a-maya-book",
            "maya",
            "book-double",
            0,
            ["hi, a double room 12-14 March please", "Sure. Your name?", "Maya Silva", "Booked."],
            TerminationReason.GOAL_REACHED,
            reasoning="I should give my dates first, then my name.",
            retrieved="I need a room for two nights || What is the price per night?",
        ),
        _conversation(
            "a-maya-breakfast",
            "maya",
            "ask-breakfast",
            0,
            ["until when is breakfast?", "Until 10:30."],
            TerminationReason.USER_STOP,
        ),
        _conversation(
            "a-tomas-book",
            "tomas",
            "book-double",
            0,
            [XSS, "I cannot help with that.", "Why not?", "Sorry."],
            TerminationReason.MAX_TURNS,
        ),
        _conversation(
            "a-general-breakfast",
            "general",
            "ask-breakfast",
            0,
            ["breakfast?"],
            TerminationReason.TARGET_ERROR,
            error="target answered HTTP 500",
        ),
    ]
    b = [
        _conversation(
            "b-maya-book",
            "maya",
            "book-double",
            0,
            ["I want a double room", "For which dates?", "12 to 14 March", "Done."],
            TerminationReason.GOAL_REACHED,
        ),
        _conversation(
            "b-tomas-book",
            "tomas",
            "book-double",
            0,
            ["Good morning! A room?", "Of course, which dates?"],
            TerminationReason.USER_STOP,
        ),
        _conversation(
            "b-general-breakfast",
            "general",
            "ask-breakfast",
            0,
            ["breakfast until when", "10:30", "thanks"],
            TerminationReason.USER_STOP,
        ),
    ]
    da, db = root / "run-a", root / "run-b"
    _write(da, "hotel-a", a)
    _write(db, "hotel-b", b)
    scores = {"a-maya-book": 4.5, "a-maya-breakfast": 3.0, "a-tomas-book": 1.5}
    verdicts = [
        {
            "item_id": f"{cid}:1",
            "judge": "baseline/features@1",
            "rubric": None,
            "scores": {"score": s},
            "explanation": "",
            "attempts": 1,
            "error": None,
            "conversation_id": cid,
            "turn_index": 1,
        }
        for cid, s in scores.items()
    ]
    (da / "judgments.jsonl").write_text(
        "".join(json.dumps(v) + "\n" for v in verdicts), encoding="utf-8"
    )
    (da / "eval.json").write_text(
        json.dumps(
            {
                "run": str(da),
                "metrics": {
                    "n_conversations": 4,
                    "values": {
                        "turns": {"value": 2.75, "low": 1.0, "high": 4.0, "level": 0.95, "n": 4},
                        "success": {"value": 0.25, "low": 0.0, "high": 0.75, "level": 0.95, "n": 4},
                    },
                    "points": {"distinct_1": 0.8},
                },
            }
        ),
        encoding="utf-8",
    )
    drift = DriftReport(
        source="user",
        encoder=None,
        n_conversations=4,
        curves={
            "persona": [
                CurvePoint(turn=t, mean=0.9 - 0.1 * t, lo=0.8 - 0.1 * t, hi=1.0 - 0.1 * t, n=4)
                for t in range(1, 5)
            ]
        },
        slopes={"persona": Estimate(-0.1, -0.15, -0.05, 0.95, 4)},
        means={"persona": Estimate(0.75, 0.6, 0.9, 0.95, 4)},
    )
    (da / "drift.json").write_text(json.dumps(drift.to_dict()), encoding="utf-8")
    (da / "broken.json").write_text("{not json", encoding="utf-8")
    return Golden(
        a=da,
        b=db,
        xss_id="a-tomas-book",
        reasoning_id="a-maya-book",
        nurse_ids=("a-maya-book", "a-maya-breakfast"),
        scores=scores,
    )
