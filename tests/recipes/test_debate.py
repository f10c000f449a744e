"""Recipe 6: judged debates in both speaking orders; pro and first-speaker win rates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.recipes import run_debates
from simulacra.testing import function_model
from tests.recipes._helpers import TINY_JSON, invoke

pytestmark = pytest.mark.embedded


def _debater(messages, config):
    if config.json_schema is not None:
        return json.dumps({"stance": "undecided", "confidence": 0.5})
    return "My argument is strong."


def _first_speaker_judge(messages, config):
    # Picks whoever spoke first in the transcript it is shown: a position-biased judge.
    text = messages[-1].content
    first = min(
        ("Proponent", "Opponent"), key=lambda n: text.find(f"{n}:") if f"{n}:" in text else 10**9
    )
    return json.dumps({"explanation": "First was better.", "winner": first})


async def test_a_first_speaker_biased_judge_shows_in_the_report() -> None:
    conversations, report = await run_debates(
        ["Homework should be abolished.", "Cities should ban cars."],
        debater=function_model(_debater, role="debater"),
        judge=function_model(_first_speaker_judge, role="judge"),
        rounds=1,
    )
    assert len(conversations) == 4 and report["decided"] == 4
    assert report["first_speaker_wins"]["value"] == 1.0
    assert report["pro_wins"]["successes"] == 2
    assert [d["first_side"] for d in report["debates_detail"]] == ["pro", "con", "pro", "con"]
    assert report["position_changes"] == 8  # both debaters of all 4 debates went undecided


def test_the_cli_on_the_tiny_model(tiny_gguf: str, tmp_path: Path) -> None:
    out = invoke(
        "recipe",
        "debate",
        "Cats are better than dogs.",
        "--model",
        TINY_JSON,
        "--no-swap",
        "--max-tokens",
        "12",
        "-o",
        str(tmp_path),
    )
    assert out.exit_code == 0, out.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["debates"] == 1
    assert report["decided"] + report["ties"] + report["verdict_errors"] == 1
    [c] = [json.loads(x) for x in (tmp_path / "conversations.jsonl").read_text().splitlines()]
    assert [t["speaker"] for t in c["turns"]] == ["proponent", "opponent"]
    assert any(e["type"] in ("verdict", "verdict_error") for e in c["events"])
