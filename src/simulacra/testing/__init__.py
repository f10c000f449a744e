"""First-class test doubles that plug into the same seams as production code.

- :class:`FunctionModelAPI` — a provider driven by a local function of the request;
- :class:`ScriptedModelAPI` — a provider that returns canned outputs (or raises canned errors);
- :class:`ScriptedParticipant` — a participant that says fixed lines;
- :class:`FakeOpenAIServer` — a real HTTP server on 127.0.0.1 with scripted answers (error paths);
- :class:`FaultyServer` — a fast asyncio OpenAI-compatible server with latency and injected
  faults (5xx, 429 + Retry-After, hangs, malformed JSON, truncated bodies, connection resets),
  deterministic answers and fault counts; ``python -m simulacra.testing.fake_server`` runs it.

They are for unit tests of logic. Integration tests use the real embedded model and real servers.
"""

from simulacra.testing._doubles import (
    FunctionModelAPI,
    ScriptedModelAPI,
    ScriptedParticipant,
    function_model,
)
from simulacra.testing._faulty_server import FaultyServer, FaultyServerConfig, parse_faults
from simulacra.testing._server import FakeOpenAIServer, FakeResponse

__all__ = [
    "FakeOpenAIServer",
    "FakeResponse",
    "FaultyServer",
    "FaultyServerConfig",
    "FunctionModelAPI",
    "ScriptedModelAPI",
    "ScriptedParticipant",
    "function_model",
    "parse_faults",
]
