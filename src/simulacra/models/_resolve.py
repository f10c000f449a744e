"""Model specs: how a run config names a model, and how a name becomes a :class:`Model`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from simulacra._secrets import env_headers
from simulacra.errors import ConfigError, ModelNotAvailableError
from simulacra.models._cache import CallCache
from simulacra.models._catalogue import CATALOGUE, file_sha256, resolve_gguf
from simulacra.models._guard import check_model_requests_allowed
from simulacra.models._model import Model, ModelAPI, RetryPolicy
from simulacra.models._openai import OpenAICompatibleAPI
from simulacra.models._providers import (
    get_provider,
    is_provider,
    provider_schemes,
    register_provider,
)
from simulacra.models._transformers import TransformersAPI, parse_transformers_target
from simulacra.models._types import GenerateConfig

__all__ = ["ModelSpec", "build_api", "get_model", "parse_model_spec"]

_BUILT_IN = ("embedded", "gguf", "openai", "transformers")


class ModelSpec(GenerateConfig):
    """A model as named in a run config, with its sampling defaults.

    ``model`` forms:

    - ``embedded:<tier>`` — a catalogue model (``default``, ``small``, ``tiny``);
    - ``gguf:/path/to/file.gguf`` — any local GGUF file;
    - ``openai:<model-name>`` — an OpenAI-compatible server at ``base_url`` (key read from the
      environment variable ``api_key_env``; ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` by default;
      more headers from environment variables with ``headers_env``; credentials in
      ``base_url`` are used but never shown);
    - ``transformers:ADAPTER_DIR`` or ``transformers:BASE?adapter=ADAPTER_DIR`` — a PyTorch
      model with a LoRA adapter from ``simulacra train`` (needs the ``train`` extra);
    - ``SCHEME:<target>`` — any provider added with :func:`~simulacra.models.register_provider`
      or by an installed package's ``simulacra.providers`` entry point.

    Sampling fields (``temperature``, ``max_tokens``, ``seed``...) are the defaults of every call.
    """

    model_config = ConfigDict(extra="forbid")

    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    headers_env: dict[str, str] = Field(default_factory=dict)
    """Extra request headers of an ``openai:`` model: header name → environment variable
    holding its value (read when the model is built, never stored)."""
    n_ctx: int | None = Field(default=None, gt=0)
    n_threads: int | None = Field(default=None, gt=0)
    reuse_prefix: bool = True
    n_slots: int | None = Field(default=None, gt=0)
    """KV slots of an embedded model on the batched engine (default: from memory, at most 8)."""
    engine: Literal["batched", "single", "server"] | None = None
    """Engine of an embedded model (default: ``$SIMULACRA_ENGINE``, else the built-in default;
    see docs/performance.md)."""
    draft: str | None = None
    """Draft model for speculative decoding on the ``server`` engine (``embedded:small`` or
    ``gguf:<path>``; same tokenizer as the model)."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """Loopback port of the ``server`` engine's ``llama-server`` (default: a free one)."""
    max_retries: int = Field(default=3, ge=0)
    timeout: float | None = Field(default=None, gt=0)
    total_timeout: float | None = Field(default=None, gt=0)
    max_connections: int | None = Field(default=None, gt=0)

    @field_validator("model")
    @classmethod
    def _known_prefix(cls, value: str) -> str:
        prefix, sep, rest = value.partition(":")
        if not sep or not rest or not is_provider(prefix):
            others = [s for s in provider_schemes() if s not in _BUILT_IN]
            more = f" (or a registered provider: {', '.join(others)})" if others else ""
            raise ValueError(
                "expected 'embedded:<tier>', 'gguf:<path>', 'openai:<model>' or "
                f"'transformers:<path>'{more}, got {value!r}"
            )
        if prefix == "embedded" and rest not in CATALOGUE:
            raise ValueError(f"unknown embedded tier {rest!r} (known: {', '.join(CATALOGUE)})")
        return value

    @property
    def scheme(self) -> str:
        """The provider scheme: ``openai`` in ``openai:gpt-4o-mini``."""
        return self.model.partition(":")[0]

    @property
    def target(self) -> str:
        """What the provider is asked for: ``gpt-4o-mini`` in ``openai:gpt-4o-mini``."""
        return self.model.partition(":")[2]

    def generate_config(self) -> GenerateConfig:
        """The sampling defaults."""
        fields = GenerateConfig.model_fields
        return GenerateConfig(**{k: v for k, v in self.model_dump().items() if k in fields})


def parse_model_spec(value: str | dict[str, Any] | ModelSpec) -> ModelSpec:
    """Accept a string or mapping and return a :class:`ModelSpec`."""
    if isinstance(value, ModelSpec):
        return value
    if isinstance(value, str):
        return ModelSpec(model=value)
    return ModelSpec.model_validate(value)


def build_api(spec: ModelSpec) -> ModelAPI:
    """Create the provider adapter for a spec (loads embedded models) through the provider
    registry (:func:`~simulacra.models.register_provider`).

    Raises:
        ModelNotAvailableError: If the model cannot be found or verified.
        ConfigError: If a required setting (e.g. ``base_url``) is missing, the scheme is unknown
            or its plug-in fails to load.
    """
    return get_provider(spec.scheme)(spec)


def _embedded_api(spec: ModelSpec) -> ModelAPI:
    from simulacra.models._engine_select import embedded_api

    entry = CATALOGUE[spec.target]
    path = resolve_gguf(entry)
    check_model_requests_allowed(spec.model)
    return embedded_api(spec, path, n_ctx=spec.n_ctx or entry.n_ctx, sha256=entry.sha256)


def _gguf_api(spec: ModelSpec) -> ModelAPI:
    from simulacra.models._engine_select import embedded_api

    path = Path(spec.target).expanduser()
    if not path.is_file():
        raise ModelNotAvailableError(f"{path}: GGUF file not found (model {spec.model!r})")
    check_model_requests_allowed(spec.model)
    return embedded_api(spec, path, n_ctx=spec.n_ctx or 4096, sha256=file_sha256(path))


def _transformers_api(spec: ModelSpec) -> ModelAPI:

    base, adapter = parse_transformers_target(spec.target)
    check_model_requests_allowed(spec.model)
    return TransformersAPI(base, adapter=adapter, name=spec.model, n_threads=spec.n_threads)


def _openai_api(spec: ModelSpec) -> ModelAPI:

    base_url = spec.base_url or os.environ.get("OPENAI_BASE_URL")
    if not base_url:
        raise ConfigError(
            f"model {spec.model!r}: set 'base_url' (or the OPENAI_BASE_URL environment variable)"
        )
    return OpenAICompatibleAPI(
        model=spec.target,
        base_url=base_url,
        api_key=os.environ.get(spec.api_key_env),
        headers=env_headers(spec.headers_env, field="headers_env"),
        timeout=spec.timeout or 120.0,
        max_connections=spec.max_connections or 16,
    )


register_provider("embedded", _embedded_api)
register_provider("gguf", _gguf_api)
register_provider("openai", _openai_api)
register_provider("transformers", _transformers_api)


def get_model(
    spec: str | dict[str, Any] | ModelSpec,
    *,
    role: str = "default",
    cache: CallCache | None = None,
) -> Model:
    """Build a :class:`Model` for a role from a spec.

    Example:
        >>> model = get_model("embedded:tiny", role="user")  # doctest: +SKIP
    """
    parsed = parse_model_spec(spec)
    api = build_api(parsed)
    return Model(
        api,
        role=role,
        config=parsed.generate_config(),
        retry=RetryPolicy(
            max_retries=parsed.max_retries,
            timeout=parsed.timeout,
            total_timeout=parsed.total_timeout,
        ),
        max_concurrency=parsed.max_connections,
        cache=cache,
    )
