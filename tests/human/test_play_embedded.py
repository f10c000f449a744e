"""``simulacra play`` on the real path: the tiny embedded model plays the simulated user and a
person (a scripted stdin pipe into a real subprocess) answers as the system."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulacra.conversation import ParticipantKind, TerminationReason
from simulacra.runs import read_conversations, read_run

pytestmark = pytest.mark.embedded


def test_person_answers_the_embedded_user(tmp_path: Path, tiny_gguf: str) -> None:
    config = tmp_path / "play.yaml"
    config.write_text(
        """
name: tiny-play
models:
  user: {model: "embedded:tiny", max_tokens: 24, n_ctx: 1024}
  target: "embedded:tiny"  # the person plays the target: this model is never loaded
scenarios:
  - {id: pizza, goal: order a large pepperoni pizza for delivery}
stop: {max_turns: 6}
cache: {enabled: false}
""",
        encoding="utf-8",
    )
    typed = "Hello! What would you like to order?\nSure, what size?\n/quit\n"
    done = subprocess.run(
        [sys.executable, "-m", "simulacra", "play", str(config), "--as", "system", "-o", "runs"],
        cwd=tmp_path,
        input=typed,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    [run_dir] = (tmp_path / "runs").iterdir()
    assert set(read_run(run_dir)["models"]) == {"user"}  # only the simulated side's model
    [c] = list(read_conversations(run_dir))
    people = {p.id: p.kind for p in c.participants}
    assert people == {"user": ParticipantKind.SIMULATED_HUMAN, "assistant": ParticipantKind.HUMAN}
    speakers = [t.speaker for t in c.turns]
    assert speakers[:2] == ["user", "assistant"]
    assert [t.utterance for t in c.turns if t.speaker == "assistant"] == [
        "Hello! What would you like to order?",
        "Sure, what size?",
    ]
    # The model really generated the user's turns (calls recorded, text non-empty).
    user_turns = [t for t in c.turns if t.speaker == "user"]
    assert user_turns and all(t.utterance.strip() for t in user_turns)
    assert all(t.model_calls for t in user_turns)
    assert c.termination in (TerminationReason.TARGET_STOP, TerminationReason.USER_STOP)
    # The simulated user's first message was shown to the person before they answered.
    assert f"User: {user_turns[0].utterance}" in done.stdout
