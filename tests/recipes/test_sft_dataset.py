"""Recipe 2: a synthetic SFT dataset with provenance — the example run on the tiny model, then
``simulacra data export --format chat`` and ``simulacra data card``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from simulacra.models import ModelSpec
from simulacra.runs import execute_run, load_config
from tests.recipes._helpers import RECIPES, TINY, invoke

pytestmark = pytest.mark.embedded


def test_run_export_and_card(tiny_gguf: str, tmp_path: Path) -> None:
    config = load_config(RECIPES / "sft_dataset.yaml")
    spec = ModelSpec(**TINY, max_tokens=12)
    config = config.model_copy(
        update={
            "models": {role: spec for role in config.models},
            "profiles": config.profiles[:2],
            "scenarios": config.scenarios[:1],
            "stop": config.stop.model_copy(update={"max_turns": 2}),
            "cache": config.cache.model_copy(update={"enabled": False}),
        }
    )
    run = asyncio.run(execute_run(config, output_dir=tmp_path)).directory
    train = tmp_path / "sft" / "train.jsonl"
    out = invoke("data", "export", str(run), "--format", "chat", "-o", str(train))
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in train.read_text().splitlines()]
    assert len(rows) == 2
    for row in rows:
        roles = [m["role"] for m in row["messages"]]
        assert "assistant" in roles and all(
            m["content"] for m in row["messages"] if m["role"] != "system"
        )
    card = tmp_path / "sft" / "README.md"
    out = invoke("data", "card", str(run), "--export", str(train), "-o", str(card))
    assert out.exit_code == 0, out.output
    text = card.read_text()
    assert text.startswith("---") and "embedded:tiny" in text and "synthetic" in text.lower()
