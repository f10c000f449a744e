"""Role-play probes and the consistency checks on the real tiny embedded model (well-formedness
only: the tiny model's role-play quality is not asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.cli import main
from simulacra.evaluation import judge_consistency, run_probes
from simulacra.evaluation._consistency import CONSISTENCY_RULES
from simulacra.models import get_model
from simulacra.profiles._character_file import load_character
from simulacra.runs import read_conversations

pytestmark = pytest.mark.embedded

CARD = Path(__file__).resolve().parents[2] / "examples" / "roleplay" / "ada_lovelace.yaml"


def test_probe_cli_on_tiny_writes_a_well_formed_report(tiny_gguf: str, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    main(["roleplay", "probe", str(CARD), "--model", "embedded:tiny", "-n", "3",
          "--max-tokens", "24", "-o", str(out)])  # fmt: skip
    report = json.loads(out.read_text())
    assert report["model"] == "embedded:tiny" and len(report["probes"]) == 3
    assert report["n"] + report["unscored"] == len(report["turns"]) and report["n"] > 0
    assert 0 <= report["in_character"] <= report["n"]
    assert 0.0 <= report["ci95"][0] <= report["share"] <= report["ci95"][1] <= 1.0
    for turn in report["turns"]:
        assert turn["speaker"] == "character"
        assert all(f["rule"] in CONSISTENCY_RULES for f in turn["flags"])


async def test_judge_on_tiny_scores_or_records_every_turn(tiny_gguf: str, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    # The judge reads the probe conversations back from a run-shaped directory.
    profile = load_character(CARD)
    judge = get_model({"model": "embedded:tiny", "max_tokens": 48}, role="judge")
    user = get_model({"model": "embedded:tiny", "max_tokens": 16}, role="user")
    probes = await run_probes(profile, model=user, limit=2)
    with (run / "conversations.jsonl").open("w") as f:
        for c in probes.conversations:
            f.write(c.model_dump_json() + "\n")
    conversations = list(read_conversations(run))
    report = await judge_consistency(
        conversations, model=judge, profile=profile, speaker="character"
    )
    assert len(report.turns) == 2 and report.n + report.unscored == 2
    assert report.checker.startswith("judge/roleplay_consistency@1")
    for t in report.turns:
        assert t.scored or (t.error or "").startswith(("unparseable", "judge call failed"))
