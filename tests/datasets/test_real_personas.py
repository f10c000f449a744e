"""Real personas from the original CaSiNo and PersuasionForGood files in ../shared/data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulacra.datasets import casino_personas, persuasionforgood_personas
from simulacra.errors import ConfigError
from simulacra.profiles import population_stats


def test_casino_participants_become_personas(shared_data: Path) -> None:
    personas = list(
        casino_personas(shared_data / "casino" / "data" / "split" / "casino_valid.json")
    )
    assert len(personas) == 60  # 30 dialogues × 2 participants
    first = personas[0]
    assert first.id.startswith("casino:") and first.id.endswith(":mturk_agent_1")
    assert first.demographics.age is not None and first.big_five is not None
    assert all(1 <= (v or 1) <= 5 for _, v in first.big_five)
    assert "matters most to you" in (first.description or "")
    assert first.attributes["social_value_orientation"] in {"prosocial", "proself", "unclassified"}


def test_persuasionforgood_participants_become_personas(shared_data: Path) -> None:
    personas = list(
        persuasionforgood_personas(shared_data / "persuasionforgood" / "data" / "FullData")
    )
    assert len(personas) > 2000
    stats = population_stats(personas)
    openness = stats["attributes"]["big_five.openness"]
    assert openness["min"] >= 1 and openness["max"] <= 5 and 3 < openness["mean"] < 4.5
    assert stats["attributes"]["demographics.gender"]["counts"]["Female"] > 100
    assert all(len(p.values) == 3 for p in personas[:50])


def test_bad_corpus_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "casino_x.json").write_text('[{"dialogue_id": 1, "participant_info": {"a": {}}}]')
    with pytest.raises(ConfigError, match="dialogue 0: missing or bad field"):
        list(casino_personas(tmp_path))


def test_cli_import(shared_data: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulacra",
            "personas",
            "import",
            "casino",
            str(shared_data / "casino" / "data" / "split"),
            "-o",
            str(tmp_path / "c.jsonl"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote 2060 casino personas" in result.stdout
    first = json.loads((tmp_path / "c.jsonl").read_text().splitlines()[0])
    assert first["kind"] == "persona" and first["id"].startswith("casino:")
