"""Token log-probabilities of judges (issue #19, items 1-2): the embedded scorer on the real tiny
model, and the OpenAI-compatible scorer against an HTTP server on 127.0.0.1 that answers in
OpenAI's ``logprobs`` format."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from simulacra.errors import MalformedResponseError
from simulacra.evaluation import JudgeItem, load_rubric
from simulacra.evaluation._likelihood import (
    LikelihoodJudge,
    cheap_features,
    likelihood_features,
    load_followups,
)
from simulacra.evaluation._logprob import EmbeddedScorer, OpenAIScorer
from simulacra.evaluation._weighted import WeightedRubricJudge
from simulacra.models import ChatMessage, OpenAICompatibleAPI

ITEM = JudgeItem(
    id="t", context=("A: Do you like video games?",), response="Yes, I play chess online. You?"
)
DIALOGUE = JudgeItem(
    id="d", context=("User: I need a film for tonight.", "System: How about Alien?", "User: Great!")
)


@pytest.fixture(scope="module")
def scorer(tiny_gguf: str) -> Iterator[EmbeddedScorer]:
    s = EmbeddedScorer(tiny_gguf, name="embedded:tiny", n_ctx=1024)
    yield s
    s.close()


def _fresh(scorer: EmbeddedScorer) -> None:
    scorer.llm.reset()
    scorer._cached = []


@pytest.mark.model
def test_next_token_logprobs_are_log_probabilities_and_the_cache_changes_nothing(
    scorer: EmbeddedScorer,
) -> None:
    msgs = [ChatMessage(role="user", content="Rate 1-5. Answer with only the integer.")]
    digits = [str(v) for v in range(1, 6)]
    warm = scorer.next_token_logprobs_sync(msgs, digits)
    assert all(lp < 0 for lp in warm.values())
    assert 0 < sum(math.exp(lp) for lp in warm.values()) <= 1 + 1e-6
    # another prompt sharing the prefix, then this one again from a cold cache: same numbers
    scorer.next_token_logprobs_sync([ChatMessage(role="user", content="Rate 1-5. Hi")], digits)
    _fresh(scorer)
    cold = scorer.next_token_logprobs_sync(msgs, digits)
    assert cold == pytest.approx(warm, abs=1e-3)


@pytest.mark.model
def test_continuation_reuses_the_prefix_and_matches_a_fresh_evaluation(
    scorer: EmbeddedScorer,
) -> None:
    prefix = "A conversation.\n\nA: Do you like games?\nB:"
    before = scorer.evaluated
    both = scorer.continuation(prefix, [" Yes, I play chess.", " Banana."])
    evaluated = scorer.evaluated - before
    _fresh(scorer)
    (alone,) = scorer.continuation(prefix, [" Banana."])
    assert both[1] == pytest.approx(alone, abs=1e-3)
    assert both[0][1] == len(scorer.tokens(" Yes, I play chess."))
    assert all(lp < 0 for lp, _ in both)
    # the prefix was evaluated once, not once per text
    assert evaluated < 2 * len(scorer.tokens(prefix)) + both[0][1] + both[1][1]


@pytest.mark.model
def test_weighted_judge_on_the_tiny_model(scorer: EmbeddedScorer) -> None:
    (v,) = asyncio.run(WeightedRubricJudge(scorer, load_rubric("engagement")).judge([ITEM]))
    assert v.error is None
    assert 1.0 <= v.scores["engagement"] <= 5.0
    assert 0.0 <= v.details["engagement:entropy"] <= math.log(5) + 1e-9
    assert 0.0 < v.details["engagement:mass"] <= 1.0


@pytest.mark.model
def test_likelihood_features_on_the_tiny_model(scorer: EmbeddedScorer) -> None:
    turn = likelihood_features(scorer, ITEM)
    dialogue = likelihood_features(scorer, DIALOGUE)
    for feats in (turn, dialogue):
        assert set(feats) == {"ll", "pmi", "fed"}
        assert feats["ll"] < 0 and all(math.isfinite(v) for v in feats.values())
    # the response is more likely after its question than alone: positive pmi
    assert turn["pmi"] > 0
    (v,) = asyncio.run(LikelihoodJudge(scorer).judge([ITEM]))
    assert v.scores["score"] == pytest.approx(turn["fed"], abs=1e-6)
    assert v.rubric == load_followups().ref == "followups/fed@1"


def test_cheap_features() -> None:
    feats = cheap_features(JudgeItem(id="x", context=("A: do you like chess",), response="chess?"))
    assert feats == {
        "log_words": pytest.approx(math.log(2)),
        "overlap": pytest.approx(1 / 3),
        "asks_back": 1.0,
    }
    # content words of more than 2 letters: {you, like, chess} and {chess}


def test_followups_file_is_checked(tmp_path: Path) -> None:
    from simulacra.errors import ConfigError

    bad = tmp_path / "f.yaml"
    bad.write_text("version: 1\nturn: {positive: [a]}\n")
    with pytest.raises(ConfigError, match="positive and negative"):
        load_followups(str(bad))


# --- an OpenAI-compatible server on 127.0.0.1 -------------------------------------------------


def _body(tops: list[tuple[str, float]] | None) -> dict[str, object]:
    choice: dict[str, object] = {"index": 0, "message": {"role": "assistant", "content": "4"}}
    if tops is not None:
        choice["logprobs"] = {
            "content": [
                {
                    "token": tops[0][0],
                    "logprob": math.log(tops[0][1]),
                    "top_logprobs": [{"token": t, "logprob": math.log(p)} for t, p in tops],
                }
            ]
        }
    return {"choices": [choice], "usage": {"prompt_tokens": 5, "completion_tokens": 1}}


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, object]], dict[str, object]]]:
    requests: list[dict[str, object]] = []
    reply: dict[str, object] = {"body": _body([(" 4", 0.5), ("5", 0.3), ("4", 0.2)])}

    async def chat(request: web.Request) -> web.Response:
        requests.append(await request.json())
        return web.json_response(reply["body"])

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/v1", requests, reply
    await runner.cleanup()


async def test_openai_scorer_reads_top_logprobs(
    server: tuple[str, list[dict[str, object]], dict[str, object]],
) -> None:
    base, requests, reply = server
    scorer = OpenAIScorer(OpenAICompatibleAPI(model="m", base_url=base))
    try:
        (v,) = await WeightedRubricJudge(scorer, load_rubric("engagement")).judge([ITEM])
        # " 4" and "4" are the same answer: 0.7 on 4, 0.3 on 5
        assert v.scores["engagement"] == pytest.approx(4 * 0.7 + 5 * 0.3)
        assert v.details["engagement:mass"] == pytest.approx(1.0)
        sent = requests[0]
        assert sent["logprobs"] is True and sent["top_logprobs"] == 20
        assert sent["max_tokens"] == 1 and sent["temperature"] == 0.0
        reply["body"] = _body(None)  # a server that ignores logprobs
        (w,) = await WeightedRubricJudge(scorer, load_rubric("engagement")).judge([ITEM])
        assert w.overall is None and w.error is not None and "no logprobs" in w.error
    finally:
        await scorer.aclose()


def test_openai_parse_of_a_body_without_logprobs_is_a_malformed_response() -> None:
    with pytest.raises(MalformedResponseError, match="no logprobs"):
        OpenAIScorer.parse(json.dumps(_body(None)).encode(), ["1"], "srv")
