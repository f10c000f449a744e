"""Which engine serves a local GGUF model: the batched one or today's single context."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.errors import ConfigError
from simulacra.models._embedded import EmbeddedAPI
from simulacra.models._embedded_batched import BatchedEmbeddedAPI
from simulacra.models._model import ModelAPI

if TYPE_CHECKING:
    from simulacra.models._resolve import ModelSpec

__all__ = ["DEFAULT_ENGINE", "ENGINE_ENV", "embedded_api"]

#: Environment variable choosing the engine of embedded models (``batched`` or ``single``).
ENGINE_ENV = "SIMULACRA_ENGINE"
#: The engine of ``embedded:`` and ``gguf:`` models when neither the spec nor the environment
#: names one.
DEFAULT_ENGINE = "single"


def embedded_api(spec: ModelSpec, path: Path, *, n_ctx: int, sha256: str | None) -> ModelAPI:
    """The adapter of a local GGUF model on the engine the spec, ``$SIMULACRA_ENGINE`` or
    :data:`DEFAULT_ENGINE` names.

    Raises:
        ConfigError: ``$SIMULACRA_ENGINE`` is not ``batched`` or ``single``; ``n_slots`` do not fit.
        ModelNotAvailableError: llama.cpp cannot load the file.
    """
    engine = spec.engine or os.environ.get(ENGINE_ENV, "").strip() or DEFAULT_ENGINE
    if engine not in ("batched", "single"):
        raise ConfigError(f"{ENGINE_ENV}: expected 'batched' or 'single', got {engine!r}")
    if engine == "single":
        return EmbeddedAPI(
            path,
            name=spec.model,
            n_ctx=n_ctx,
            n_threads=spec.n_threads,
            seed=spec.seed or 0,
            reuse_prefix=spec.reuse_prefix,
            sha256=sha256,
        )

    return BatchedEmbeddedAPI(
        path,
        name=spec.model,
        n_ctx=n_ctx,
        n_threads=spec.n_threads,
        n_slots=spec.n_slots,
        seed=spec.seed or 0,
        reuse_prefix=spec.reuse_prefix,
        sha256=sha256,
    )
