"""How many conversations a run keeps in flight: the config, else what each backend prefers."""

from __future__ import annotations

from collections.abc import Sequence

from simulacra.models import ChatMessage, GenerateConfig, Model, ModelOutput
from simulacra.models._embedded import EmbeddedAPI
from simulacra.models._model import ModelAPI
from simulacra.runs._config import RunConfig
from simulacra.runs._runner import _max_in_flight


class _API(ModelAPI):
    def __init__(self, preferred: int | None) -> None:
        self.name = "scripted"
        self._preferred = preferred

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        raise AssertionError("not called")

    @property
    def preferred_concurrency(self) -> int | None:
        return self._preferred


def _config(max_conversations: int | None = None) -> RunConfig:
    return RunConfig.model_validate(
        {
            "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
            "scenarios": [{"id": "a", "goal": "g"}],
            "execution": {"max_conversations": max_conversations},
        }
    )


def test_the_smallest_backend_preference_wins() -> None:
    models = {"user": Model(_API(6)), "target": Model(_API(3)), "judge": Model(_API(None))}
    assert _max_in_flight(_config(), models) == 3


def test_backends_without_a_preference_get_sixteen() -> None:
    assert _max_in_flight(_config(), {"user": Model(_API(None))}) == 16


def test_the_one_context_embedded_engine_runs_one_conversation_at_a_time() -> None:
    embedded = object.__new__(EmbeddedAPI)  # isinstance is all that is asked of it
    models = {"user": Model(embedded, role="user"), "target": Model(_API(8))}
    assert _max_in_flight(_config(), models) == 1


def test_max_conversations_in_the_config_overrides_the_backends() -> None:
    models = {"user": Model(_API(2))}
    assert _max_in_flight(_config(5), models) == 5
