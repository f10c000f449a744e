"""First-class test doubles that plug into the same seams as production code.

- :class:`FunctionModelAPI` — a provider driven by a local function of the request;
- :class:`ScriptedModelAPI` — a provider that returns canned outputs (or raises canned errors);
- :class:`ScriptedParticipant` — a participant that says fixed lines;
- :class:`FakeOpenAIServer` — a real HTTP server on 127.0.0.1 with scripted answers (error paths).

They are for unit tests of logic. Integration tests use the real embedded model and real servers.
"""

from simulacra.testing._doubles import (
    FunctionModelAPI,
    ScriptedModelAPI,
    ScriptedParticipant,
    function_model,
)
from simulacra.testing._server import FakeOpenAIServer, FakeResponse

__all__ = [
    "FakeOpenAIServer",
    "FakeResponse",
    "FunctionModelAPI",
    "ScriptedModelAPI",
    "ScriptedParticipant",
    "function_model",
]
