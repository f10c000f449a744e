from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulacra.errors import ConfigError, ModelError
from simulacra.evaluation._judge import (
    BaselineJudge,
    JudgeItem,
    RubricJudge,
    conversation_items,
    judge_run,
    parse_scores,
)
from simulacra.evaluation._rubric import list_rubrics, load_rubric
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.testing import function_model
from tests.evaluation._convs import conversation

ITEM = JudgeItem(id="x:1", context=("User: any ideas?",), response="run", conversation_id="x")


def test_packaged_rubrics_load_with_id_and_version() -> None:
    assert {"engagement", "satisfaction", "user_realism"} <= set(list_rubrics())
    rubric = load_rubric("engagement")
    assert rubric.ref == "rubric/engagement@1"
    assert rubric.level == "turn"
    schema = rubric.answer_schema()
    assert list(schema["properties"]) == ["explanation", "engagement"]  # type: ignore[call-overload]
    prompt = rubric.prompt(context=["A: hi"], response="hello")
    assert "Response: hello" in prompt and "Example 1" in prompt and "5 = " in prompt


def test_unknown_rubric_suggests() -> None:
    with pytest.raises(ConfigError, match="did you mean 'engagement'"):
        load_rubric("engagment")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("not json", "not JSON"),
        ('{"engagement": 3}', "explanation"),
        ('{"explanation": "x", "engagement": 7}', "outside 1-5"),
        ('{"explanation": "x", "engagement": "high"}', "not an integer"),
        ('{"explanation": "x", "engagement": true}', "not an integer"),
    ],
)
def test_parse_scores_rejects_malformed(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_scores(text, load_rubric("engagement"))


def test_parse_scores_reads_valid_answer() -> None:
    scores, why = parse_scores(
        '{"explanation": " dull ", "engagement": 2}', load_rubric("engagement")
    )
    assert scores == {"engagement": 2.0} and why == "dull"


async def test_judge_retries_with_error_quoted_then_succeeds() -> None:
    seen: list[Sequence[ChatMessage]] = []
    configs: list[GenerateConfig] = []

    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        seen.append(messages)
        configs.append(config)
        return "oops" if len(seen) == 1 else '{"explanation": "one word", "engagement": 1}'

    judge = RubricJudge(function_model(fn, name="fn-judge"), load_rubric("engagement"))
    verdict = await judge.judge_one(ITEM)
    assert verdict.scores == {"engagement": 1.0}
    assert verdict.attempts == 2 and verdict.error is None
    assert verdict.judge == "fn-judge" and verdict.rubric == "rubric/engagement@1"
    assert "invalid (not JSON" in seen[1][-1].content
    assert configs[0].json_schema == load_rubric("engagement").answer_schema(explanation_chars=160)
    assert configs[0].temperature == 0.0


async def test_judge_gives_up_after_retries_and_records_error() -> None:
    judge = RubricJudge(function_model(lambda m, c: "{}"), load_rubric("engagement"), retries=1)
    verdict = await judge.judge_one(ITEM)
    assert verdict.scores == {} and verdict.attempts == 2
    assert verdict.error is not None and "unparseable" in verdict.error
    assert verdict.overall is None


async def test_failed_call_is_data() -> None:
    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        raise ModelError("boom")

    verdict = await RubricJudge(function_model(fn), load_rubric("engagement")).judge_one(ITEM)
    assert verdict.error is not None and "judge call failed" in verdict.error


async def test_dialogue_level_and_run_judgments_file(tmp_path: Path) -> None:
    convs = [
        conversation(["hi", "hello, how can I help?", "a hotel", "which area?"], id="c1"),
        conversation(["hey", "hi"], id="c2"),
    ]
    turn_items = conversation_items(convs, level="turn", side="target")
    assert [i.id for i in turn_items] == ["c1:1", "c1:3", "c2:1"]
    assert turn_items[1].context == ("User: hi", "Bot: hello, how can I help?", "User: a hotel")
    user_items = conversation_items(convs, level="turn", side="user")
    assert [i.id for i in user_items] == ["c1:0", "c1:2", "c2:0"]
    dialogues = conversation_items(convs, level="dialogue")
    prompts: list[str] = []

    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        prompts.append(messages[0].content)
        return '{"explanation": "fine", "satisfaction": 4}'

    verdicts = await RubricJudge(function_model(fn), load_rubric("satisfaction")).judge(dialogues)
    assert "Response:" not in prompts[0].split("Conversation:")[1]
    path = judge_run(tmp_path, verdicts)
    base = await BaselineJudge(embeddings=False).judge(turn_items)
    judge_run(tmp_path, base)
    judge_run(tmp_path, base)  # the same judge again replaces, not duplicates
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == 2 + 3
    assert {r["rubric"] for r in rows} == {"rubric/satisfaction@1", None}
    assert not list(tmp_path.glob(".*.tmp"))


def test_baseline_prefers_engaged_reply() -> None:
    judge = BaselineJudge(embeddings=False)
    good = JudgeItem(
        id="g",
        context=("A: do you like video games?",),
        response="Yes, I like video games a lot. Do you?",
    )
    bad = JudgeItem(id="b", context=("A: do you like video games?",), response="run")
    s_good, s_bad = judge.score([good, bad])
    assert s_good > s_bad


@pytest.mark.embedded
async def test_embedded_tiny_judge_over_two_conversation_run(
    tiny_gguf: str, tmp_path: Path
) -> None:
    from simulacra.models import get_model

    model = get_model({"model": f"gguf:{tiny_gguf}", "max_tokens": 60, "n_ctx": 2048})
    convs = [
        conversation(["I need a cheap hotel.", "Sure, which area?"], id="c1"),
        conversation(["Hi, what's the weather?", "Sunny today."], id="c2"),
    ]
    items = conversation_items(convs, level="turn", side="target")
    verdicts = await RubricJudge(model, load_rubric("engagement"), retries=1).judge(items)
    path = judge_run(tmp_path, verdicts)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["rubric"] == "rubric/engagement@1" and row["judge"]
        assert row["error"] is not None or 1 <= row["scores"]["engagement"] <= 5
