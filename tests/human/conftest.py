"""Two small run directories of two systems (``run-alpha``, ``run-beta``) on the same scenarios,
written with the real run store; their system names must never reach an annotator."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.conversation import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    Turn,
)
from simulacra.runs import RunWriter

SCENARIOS = {
    "s1": "book a table for two",
    "s2": "find a cheap hotel",
    "s3": "cancel an order",
    "s4": "ask about opening hours",
}
INJECTED = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'


def _conversation(system: str, scenario: str, k: int) -> Conversation:
    user = ParticipantInfo(id="user", name="Pat Persona", kind=ParticipantKind.SIMULATED_HUMAN)
    bot = ParticipantInfo(id="assistant", name=system, kind=ParticipantKind.AI_SYSTEM)
    reply = INJECTED if (system == "AlphaBot-9000" and scenario == "s1") else f"Sure ({k})."
    c = Conversation(
        id=f"{system.lower()}-{scenario}",
        participants=[user, bot],
        scenario_id=scenario,
        metadata={"profile_id": "general:User", "epoch": 0},
    )
    for text, who in [
        (f"Hi, I want to {SCENARIOS[scenario]}.", "user"),
        (reply, "assistant"),
        ("Thanks!", "user"),
        (f"You are welcome, says {system}.", "assistant"),
    ]:
        c.append(Turn(speaker=who, utterance=text))
    c.termination = TerminationReason.USER_STOP
    return c


def make_run(root: Path, name: str, system: str) -> Path:
    directory = root / name
    manifest = {
        "name": name,
        "status": "complete",
        "config": {"scenarios": [{"id": s, "goal": g} for s, g in SCENARIOS.items()]},
    }
    writer = RunWriter(directory, manifest)
    for k, scenario in enumerate(SCENARIOS):
        writer.write(_conversation(system, scenario, k))
    writer.close()
    return directory


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    return (
        make_run(tmp_path, "run-alpha", "AlphaBot-9000"),
        make_run(tmp_path, "run-beta", "BetaBot-Pro"),
    )
