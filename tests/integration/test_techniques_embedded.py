"""A technique pipeline (retrieval + state + verifier) on the real tiny embedded model."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.runs import execute_run, load_config, read_conversations

pytestmark = pytest.mark.embedded


async def test_pipeline_records_every_stage(tiny_gguf: str, tmp_path: Path) -> None:
    (tmp_path / "kb.txt").write_text("The Acorn guest house is cheap and in the north.\n")
    (tmp_path / "run.yaml").write_text(
        """
models:
  user: {model: "embedded:tiny", max_tokens: 48}
  target: {model: "embedded:tiny", max_tokens: 16}
user:
  techniques: [persona, {retrieval: {corpus: kb.txt, k: 1}}, state, {verifier: {max_rejections: 1}}]
scenarios:
  - id: s
    goal: Find a cheap hotel in the north.
    task: {id: t, domains: [{domain: hotel, inform: {price range: cheap, area: north}}]}
stop: {max_turns: 2}
"""
    )
    config = load_config(tmp_path / "run.yaml")
    result = await execute_run(config, output_dir=tmp_path / "out")
    [conversation] = list(read_conversations(result.directory))
    assert conversation.termination is not None and not conversation.termination.is_error
    first = conversation.turns[0]
    assert first.metadata["pipeline"] == "persona>retrieval>state>verifier"
    assert first.metadata["retrieval.ids"] == "p1"
    assert int(str(first.metadata["verifier.proposals"])) >= 1
    assert first.reasoning is not None and "proposal 1" in first.reasoning
