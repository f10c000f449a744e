"""Which engine serves a local GGUF model: one llama.cpp context (``single``), the in-process
batch engine (``batched``) or a managed ``llama-server`` (``server``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulacra.errors import ConfigError, ModelNotAvailableError
from simulacra.models._catalogue import CATALOGUE, resolve_gguf
from simulacra.models._embedded import EmbeddedAPI
from simulacra.models._embedded_batched import BatchedEmbeddedAPI
from simulacra.models._llama_server import ServerEmbeddedAPI
from simulacra.models._model import ModelAPI

if TYPE_CHECKING:
    from simulacra.models._resolve import ModelSpec

__all__ = ["DEFAULT_ENGINE", "ENGINES", "ENGINE_ENV", "draft_path", "embedded_api"]

#: Environment variable choosing the engine of embedded models (``single``, ``batched`` or
#: ``server``).
ENGINE_ENV = "SIMULACRA_ENGINE"
#: The engine of ``embedded:`` and ``gguf:`` models when neither the spec nor the environment
#: names one.
DEFAULT_ENGINE = "single"
#: The engines.
ENGINES = ("single", "batched", "server")


def embedded_api(spec: ModelSpec, path: Path, *, n_ctx: int, sha256: str | None) -> ModelAPI:
    """The adapter of a local GGUF model on the engine the spec, ``$SIMULACRA_ENGINE`` or
    :data:`DEFAULT_ENGINE` names.

    Raises:
        ConfigError: ``$SIMULACRA_ENGINE`` names no engine; ``n_slots`` do not fit; the
            ``port`` is in use; ``draft`` or ``port`` is set on another engine than ``server``.
        ModelNotAvailableError: llama.cpp cannot load the file; no ``llama-server`` binary.
    """
    engine = spec.engine or os.environ.get(ENGINE_ENV, "").strip() or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise ConfigError(f"{ENGINE_ENV}: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if engine != "server" and (spec.draft is not None or spec.port is not None):
        field = "draft" if spec.draft is not None else "port"
        raise ConfigError(f"{field}: only the 'server' engine takes it (engine is {engine!r})")
    common: dict[str, Any] = {
        "name": spec.model,
        "n_ctx": n_ctx,
        "n_threads": spec.n_threads,
        "seed": spec.seed or 0,
        "reuse_prefix": spec.reuse_prefix,
        "sha256": sha256,
    }
    if engine == "single":
        return EmbeddedAPI(path, **common)
    if engine == "server":
        return ServerEmbeddedAPI(
            path, n_slots=spec.n_slots, draft=draft_path(spec.draft), port=spec.port, **common
        )
    return BatchedEmbeddedAPI(path, n_slots=spec.n_slots, **common)


def draft_path(draft: str | None) -> Path | None:
    """The GGUF of a ``draft`` setting: ``embedded:<tier>``, ``gguf:<path>`` or ``None``.

    Raises:
        ConfigError: Another form.
        ModelNotAvailableError: The file is not installed or not found.
    """
    if draft is None:
        return None
    scheme, _, target = draft.partition(":")
    if scheme == "embedded" and target in CATALOGUE:
        return resolve_gguf(CATALOGUE[target])
    if scheme == "gguf" and target:
        path = Path(target).expanduser()
        if not path.is_file():
            raise ModelNotAvailableError(f"draft: {path}: GGUF file not found")
        return path
    raise ConfigError(f"draft: expected 'embedded:<tier>' or 'gguf:<path>', got {draft!r}")
