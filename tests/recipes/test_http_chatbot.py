"""Recipe 1: the example chatbot really served over HTTP on 127.0.0.1, the persona population
run against it on the tiny embedded model, and the judge over the run."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.evaluation import RubricJudge, conversation_items, judge_run, load_rubric
from simulacra.models import GenerateConfig, ModelSpec
from simulacra.participants import HTTPTarget
from simulacra.recipes._common import build_model
from simulacra.runs import execute_run, load_config, read_conversations
from tests.recipes._helpers import RECIPES, TINY, load_example

pytestmark = pytest.mark.embedded


@pytest.fixture(scope="module")
def chatbot_url() -> Iterator[str]:
    server = load_example("chatbot_server").make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/chat"
    server.shutdown()
    server.server_close()


async def test_the_chatbot_answers_over_http(chatbot_url: str) -> None:
    target = HTTPTarget(chatbot_url)
    user = ParticipantInfo(id="user", name="U", kind=ParticipantKind.SIMULATED_HUMAN)
    conversation = Conversation(participants=[user, target.info])
    replies = []
    for text in ("How much is a puncture repair?", "blorp", "zzz"):
        conversation.append(Turn(speaker="user", utterance=text))
        reply = await target.respond(conversation.view_for("assistant"))
        conversation.append(Turn(speaker="assistant", utterance=reply.utterance))
        replies.append(reply.utterance)
    await target.aclose()
    assert "12 EUR" in replies[0]
    assert replies[1].startswith("Sorry, I did not understand")
    assert "colleague" in replies[2]  # the second miss of the session hands over


def test_population_against_the_http_bot_then_judged(
    chatbot_url: str, tiny_gguf: str, tmp_path: Path
) -> None:
    config = load_config(RECIPES / "http_chatbot.yaml")
    assert len(config.profiles) == 6 and len({p.name for p in config.profiles}) == 6
    config = config.model_copy(
        update={
            "models": {"user": ModelSpec(**TINY, max_tokens=12)},
            "target": config.target.model_copy(update={"url": chatbot_url}),
            "profiles": config.profiles[:2],
            "scenarios": config.scenarios[:1],
            "stop": config.stop.model_copy(update={"max_turns": 2}),
            "cache": config.cache.model_copy(update={"enabled": False}),
        }
    )
    result = asyncio.run(execute_run(config, output_dir=tmp_path))
    conversations = list(read_conversations(result.directory))
    assert len(conversations) == 2
    faq = {answer for _, answer in load_example("chatbot_server").FAQ}
    for c in conversations:
        assert c.termination is not None and not c.termination.is_error, c.error
        assert [t.speaker for t in c.turns] == ["user", "assistant"]
        assert c.turns[1].utterance in faq or c.turns[1].utterance.startswith("Sorry")
    names = {c.participants[0].name for c in conversations}
    assert len(names) == 2  # two different personas

    # What `simulacra eval RUN --judge ... --rubric satisfaction` does, on one llama.cpp thread.
    judge = RubricJudge(
        build_model(TINY, role="judge"),
        load_rubric("satisfaction"),
        config=GenerateConfig(max_tokens=80),
    )
    items = conversation_items(conversations[:1], level="dialogue")
    judge_run(result.directory, asyncio.run(judge.judge(items)))
    verdicts = [
        json.loads(line) for line in (result.directory / "judgments.jsonl").read_text().splitlines()
    ]
    assert len(verdicts) == 1 and verdicts[0]["rubric"] == "rubric/satisfaction@1"
    assert verdicts[0]["conversation_id"] == conversations[0].id
    assert verdicts[0]["error"] is not None or 1 <= verdicts[0]["scores"]["satisfaction"] <= 5
