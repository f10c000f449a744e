"""What every recipe shares: models from a spec (string or JSON), and writing its outputs
(``conversations.jsonl`` and ``report.json``) atomically into one folder."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from simulacra._atomic import write_json_atomic, write_text_atomic
from simulacra.conversation import Conversation
from simulacra.errors import ConfigError
from simulacra.evaluation import wilson
from simulacra.models import GenerateConfig, Model, ModelAPI, RetryPolicy, build_api
from simulacra.models import parse_model_spec as _parse_spec

__all__ = ["build_model", "estimate", "parse_spec", "write_outputs"]

_APIS: dict[str, ModelAPI] = {}


def parse_spec(value: str | Mapping[str, Any]) -> str | dict[str, Any]:
    """A model spec string (``embedded:default``) or a JSON object string
    (``{"model": "embedded:default", "n_threads": 1}``) as given on a command line."""
    if isinstance(value, Mapping):
        return dict(value)
    if not value.lstrip().startswith("{"):
        return value
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"model spec {value!r}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"model spec {value!r}: expected a JSON object")
    return data


def build_model(spec: str | Mapping[str, Any] | Model, *, role: str, **sampling: Any) -> Model:
    """A :class:`Model` for ``role`` with sampling defaults; every role on the same spec shares
    one loaded model (one llama.cpp context), so a recipe loads each model once."""
    if isinstance(spec, Model):
        return spec
    try:
        parsed = _parse_spec(parse_spec(spec))
    except ValueError as exc:
        raise ConfigError(f"model spec: {str(exc).splitlines()[-1].strip()}") from None
    load = parsed.model_dump(exclude=set(GenerateConfig.model_fields) | {"max_retries"})
    key = json.dumps(load, sort_keys=True, default=str)
    api = _APIS.get(key)
    if api is None:
        api = _APIS[key] = build_api(parsed)
    overrides = GenerateConfig(**{k: v for k, v in sampling.items() if v is not None})
    return Model(
        api,
        role=role,
        config=parsed.generate_config().merged(overrides),
        retry=RetryPolicy(max_retries=parsed.max_retries, timeout=parsed.timeout),
        max_concurrency=parsed.max_connections,
    )


def write_outputs(
    directory: str | Path, conversations: Iterable[Conversation], report: Mapping[str, Any]
) -> Path:
    """Write ``conversations.jsonl`` and ``report.json`` into ``directory`` (created), each
    atomically; returns the report's path."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(
        out / "conversations.jsonl",
        "".join(c.model_dump_json() + "\n" for c in conversations),
        durable=True,
    )
    path = out / "report.json"
    write_json_atomic(path, report, ensure_ascii=False, durable=True)
    return path


def estimate(successes: int, n: int) -> dict[str, Any]:
    """A proportion with its Wilson 95% interval and n, as JSON."""

    e = wilson(successes, n)
    return {"value": e.value, "low": e.low, "high": e.high, "n": n, "successes": successes}
