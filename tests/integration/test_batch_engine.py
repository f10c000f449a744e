"""The batched embedded engine (a KV slot per conversation, continuous batching) on the tiny model."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from tests._cli import run_cli

from simulacra.errors import ContextWindowError
from simulacra.models import ChatMessage, EmbeddedAPI, GenerateConfig, get_model, record_calls
from simulacra.models._embedded_batched import BatchedEmbeddedAPI

pytestmark = pytest.mark.embedded

GREEDY = GenerateConfig(temperature=0.0, max_tokens=12, seed=3)


def _engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "simulacra-batch-engine"]


def _conversation(system: str, *turns: str) -> list[ChatMessage]:
    messages = [ChatMessage(role="system", content=system)]
    for i, text in enumerate(turns):
        messages.append(ChatMessage(role="user" if i % 2 == 0 else "assistant", content=text))
    return messages


def test_second_turn_evaluates_only_its_new_tokens_after_another_conversation(
    tiny_gguf: str,
) -> None:
    api = BatchedEmbeddedAPI(tiny_gguf, n_ctx=1024, n_threads=1, n_slots=4)
    try:
        a1 = _conversation("You are a travel agent in Rome.", "I want to visit in May.")
        out_a1 = api.generate_sync(a1, GREEDY)
        b1 = _conversation("You are a baker. Answer briefly.", "How long does bread rise?")
        out_b1 = api.generate_sync(b1, GREEDY)
        assert out_b1.usage.prompt_tokens_evaluated == out_b1.usage.prompt_tokens
        before = api.engine.stats.prompt_tokens_evaluated
        a2 = [*a1, ChatMessage(role="assistant", content=out_a1.text)]
        a2.append(ChatMessage(role="user", content="Which museums open on Mondays?"))
        out_a2 = api.generate_sync(a2, GREEDY)
        # The new turn: everything after the first prompt (the reply as re-tokenized, the user's
        # new message, the template's markers). The engine's own counter agrees with the usage.
        new_turn = out_a2.usage.prompt_tokens - out_a1.usage.prompt_tokens
        evaluated = out_a2.usage.prompt_tokens_evaluated
        assert evaluated is not None
        assert 0 < evaluated <= new_turn
        assert api.engine.stats.prompt_tokens_evaluated - before == evaluated
        assert api.engine.stats.slot_evictions == 0
    finally:
        asyncio.run(api.aclose())


def test_a_conversation_keeps_its_slot_when_another_shares_its_prompt(tiny_gguf: str) -> None:
    api = BatchedEmbeddedAPI(tiny_gguf, n_ctx=1024, n_threads=1, n_slots=4)
    first = _conversation("You are a travel agent in Rome.", "I want to visit in May.")
    try:
        with record_calls():
            a1 = api.generate_sync(first, GREEDY)
            with record_calls():  # another conversation, same first prompt: an empty slot
                b1 = api.generate_sync(first, GREEDY)
            a2 = [*first, ChatMessage(role="assistant", content=a1.text)]
            a2.append(ChatMessage(role="user", content="Which museums open on Mondays?"))
            out = api.generate_sync(a2, GREEDY)
        assert b1.usage.prompt_tokens_evaluated == b1.usage.prompt_tokens
        # A's reply is still cached in A's slot: less than the new turn is evaluated.
        new_turn = out.usage.prompt_tokens - a1.usage.prompt_tokens
        assert out.usage.prompt_tokens_evaluated is not None
        assert 0 < out.usage.prompt_tokens_evaluated < new_turn
    finally:
        asyncio.run(api.aclose())


def _alone_and_with_neighbours(tiny_gguf: str, config: GenerateConfig) -> tuple[str, str]:
    probe = _conversation("You are a poet.", "Write one line about the sea.")
    neighbours = [
        _conversation("You are a chef.", f"Give recipe number {i} in one sentence.")
        for i in range(3)
    ]
    api = BatchedEmbeddedAPI(tiny_gguf, n_ctx=1024, n_threads=1, n_slots=4)
    try:
        alone = api.generate_sync(probe, config).text
    finally:
        asyncio.run(api.aclose())

    async def together() -> str:
        api = BatchedEmbeddedAPI(tiny_gguf, n_ctx=1024, n_threads=1, n_slots=4)
        try:
            calls = [api.generate(m, config) for m in [*neighbours, probe]]
            outs = await asyncio.gather(*calls)
            assert api.engine.stats.max_sequences_in_batch == 4  # really batched together
            return outs[-1].text
        finally:
            await api.aclose()

    return alone, asyncio.run(together())


def test_greedy_output_does_not_depend_on_batch_neighbours(tiny_gguf: str) -> None:
    alone, batched = _alone_and_with_neighbours(tiny_gguf, GREEDY)
    assert alone.strip()
    assert batched == alone


def test_greedy_text_matches_the_single_context_engine(tiny_gguf: str) -> None:
    messages = _conversation("You are helpful.", "Name three fruits.")
    single = EmbeddedAPI(tiny_gguf, n_ctx=1024, n_threads=1)
    batched = BatchedEmbeddedAPI(tiny_gguf, n_ctx=1024, n_threads=1, n_slots=2)
    try:
        want = single.generate_sync(messages, GREEDY)
        got = batched.generate_sync(messages, GREEDY)
    finally:
        asyncio.run(single.aclose())
        asyncio.run(batched.aclose())
    assert want.text.strip()
    assert (got.text, got.usage) == (want.text, want.usage)


def test_seeded_sampling_does_not_depend_on_batch_neighbours(tiny_gguf: str) -> None:
    config = GenerateConfig(temperature=0.9, max_tokens=16, seed=11)
    alone, batched = _alone_and_with_neighbours(tiny_gguf, config)
    assert batched == alone


def test_no_engine_thread_left_after_errors_and_cancellation(tiny_gguf: str) -> None:
    before = len(_engine_threads())

    async def scenario() -> None:
        api = BatchedEmbeddedAPI(tiny_gguf, n_ctx=256, n_threads=1, n_slots=2)
        try:
            with pytest.raises(ContextWindowError):
                await api.generate(_conversation("x", "word " * 400), GREEDY)
            long = GenerateConfig(temperature=0.0, max_tokens=200)
            task = asyncio.create_task(api.generate(_conversation("x", "Count to 100."), long))
            while api.engine.stats.decode_calls < 2:
                await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            raise RuntimeError("the caller fails")
        finally:
            await api.aclose()

    with pytest.raises(RuntimeError, match="the caller fails"):
        asyncio.run(scenario())
    assert len(_engine_threads()) == before


def test_roles_share_one_engine_and_report_their_concurrency(tiny_gguf: str) -> None:
    spec = {"model": f"gguf:{tiny_gguf}", "engine": "batched", "n_slots": 6, "n_ctx": 512}
    user = get_model({**spec, "n_threads": 1}, role="user")
    target = get_model({**spec, "n_threads": 1}, role="target")
    try:
        assert isinstance(user.api, BatchedEmbeddedAPI)
        assert isinstance(target.api, BatchedEmbeddedAPI)
        assert user.api.engine is target.api.engine
        assert user.api.preferred_concurrency == 3  # 6 slots, 2 roles
        assert user.api.describe()["n_slots"] == 6
    finally:
        asyncio.run(user.aclose())
        asyncio.run(target.aclose())
    assert not user.api.engine.alive


def test_too_many_slots_for_memory_is_a_one_line_error(tiny_gguf: str, tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        "name: slots\n"
        "models:\n"
        f"  user: {{model: 'gguf:{tiny_gguf}', engine: batched, n_slots: 250, n_ctx: 1000000}}\n"
        "target: {type: callable, callable: 'json:dumps'}\n"
        "scenarios:\n  - {id: s, goal: say hi}\n"
    )
    result = run_cli(["run", str(config), "-o", str(tmp_path / "out")], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "n_slots" in lines[0] and "GiB" in lines[0] and len(lines[0]) <= 300
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
