"""The typed model call of the run log: what ``Model.generate`` records parses as
:class:`simulacra.log.ModelCall` with no field left untyped, and a bad record is one line."""

from __future__ import annotations

import pytest

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind
from simulacra.errors import ConfigError, TransientError
from simulacra.log import ModelCall, model_calls
from simulacra.models import ChatMessage, GenerateConfig, record_calls
from simulacra.testing import function_model


async def test_what_the_model_wrapper_records_is_a_model_call_with_every_field_typed() -> None:
    def fail(messages: object, config: object) -> str:
        raise TransientError("upstream hiccup")

    ok, broken = (
        function_model(lambda m, c: "hello", role="user"),
        function_model(fail, role="judge"),
    )
    with record_calls() as log:
        await ok.generate([ChatMessage(role="user", content="hi")], config=GenerateConfig(seed=3))
        with pytest.raises(TransientError):
            await broken.generate([ChatMessage(role="user", content="hi")])
    calls = [ModelCall.model_validate(c) for c in log.calls]
    for call, raw in zip(calls, log.calls, strict=True):
        assert call.model_extra == {}, f"untyped fields: {sorted(call.model_extra or {})}"
        assert set(raw) <= set(ModelCall.model_fields)
    good, bad = calls
    assert (good.role, good.output, good.config["seed"], good.messages[0]["content"]) == (
        "user",
        "hello",
        3,
        "hi",
    )
    assert good.usage is not None and good.error is None
    assert bad.output is None and bad.error is not None and bad.error.kind == "transient"


def test_a_conversation_s_calls_read_typed_and_a_bad_one_is_named() -> None:
    user = ParticipantInfo(id="u", name="U", kind=ParticipantKind.SIMULATED_HUMAN)
    c = Conversation(id="c1", participants=[user])
    c.model_calls = [{"call_id": "a", "role": "user", "model": "m", "usage": {"prompt_tokens": 5}}]
    (call,) = model_calls(c)
    assert call.usage is not None and call.usage.prompt_tokens == 5
    c.model_calls.append({"call_id": "b", "role": "user"})
    with pytest.raises(ConfigError, match=r"conversation c1: model_calls\.1\.model"):
        model_calls(c)
