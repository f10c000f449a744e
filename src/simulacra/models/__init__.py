"""Models: a :class:`Model` wrapper over provider adapters that only translate.

Providers: :class:`EmbeddedAPI` (llama.cpp in-process, the offline default),
:class:`ServerEmbeddedAPI` (the same model on a managed ``llama-server``),
:class:`OpenAICompatibleAPI` (any OpenAI-compatible server), and the test doubles in
:mod:`simulacra.testing`. Run configs name models with :class:`ModelSpec` strings such as
``embedded:default``, ``gguf:/path.gguf`` or ``openai:<model>``; :func:`register_provider` (or a
package's ``simulacra.providers`` entry point) adds a scheme.
"""

from simulacra.models._cache import CallCache, rollout_index
from simulacra.models._catalogue import CATALOGUE, CatalogueEntry, cache_dir, resolve_gguf
from simulacra.models._embedded import EmbeddedAPI
from simulacra.models._guard import (
    ALLOW_MODEL_REQUESTS_ENV,
    ModelRequestRefused,
    check_model_requests_allowed,
)
from simulacra.models._limits import AdaptiveLimiter, shared_limiter
from simulacra.models._llama_server import ServerEmbeddedAPI
from simulacra.models._model import CallLog, Model, ModelAPI, RetryPolicy, record_calls
from simulacra.models._openai import OpenAICompatibleAPI
from simulacra.models._providers import (
    ProviderFactory,
    provider_schemes,
    register_provider,
    unregister_provider,
)
from simulacra.models._resolve import ModelSpec, build_api, get_model, parse_model_spec
from simulacra.models._types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = [
    "ALLOW_MODEL_REQUESTS_ENV",
    "CATALOGUE",
    "AdaptiveLimiter",
    "CallCache",
    "CallLog",
    "CatalogueEntry",
    "ChatMessage",
    "EmbeddedAPI",
    "GenerateConfig",
    "Model",
    "ModelAPI",
    "ModelOutput",
    "ModelRequestRefused",
    "ModelSpec",
    "OpenAICompatibleAPI",
    "ProviderFactory",
    "RetryPolicy",
    "ServerEmbeddedAPI",
    "Usage",
    "build_api",
    "cache_dir",
    "check_model_requests_allowed",
    "get_model",
    "parse_model_spec",
    "provider_schemes",
    "record_calls",
    "register_provider",
    "resolve_gguf",
    "rollout_index",
    "shared_limiter",
    "unregister_provider",
]
