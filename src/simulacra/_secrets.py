"""Secrets that must not be written or shown: credentials in URLs and header values.

- :func:`redact_url` / :func:`redact_text` replace the user-info part of URLs
  (``http://user:key@host/v1`` → ``http://***@host/v1``) and the values of query parameters that
  name a secret (``?api_key=...``) with ``***``.
- :func:`redact_json` does the same through a JSON-like value, and also replaces the values of
  headers whose name says they are secret (``Authorization``, ``Cookie``, ``X-Api-Key``...).
- :func:`env_headers` reads header values from environment variables (``headers_env``), so they
  are never part of a config, a run directory or a cache.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from simulacra.errors import ConfigError

__all__ = [
    "MASK",
    "env_headers",
    "is_secret_header",
    "redact_json",
    "redact_text",
    "redact_url",
]

MASK = "***"

_USERINFO = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]{0,20}://)[^\s/?#@\"'<>]+@")
_SECRET_PARAM = re.compile(
    r"([?&](?:api[_-]?key|key|token|access[_-]?token|secret|password|passwd|sig|signature)=)"
    r"[^&#\s\"'<>]+",
    re.IGNORECASE,
)
_SECRET_HEADER = re.compile(
    r"authorization|cookie|token|secret|passw|api[_-]?key|(^|[-_])key$|auth", re.IGNORECASE
)


def redact_url(url: str) -> str:
    """``url`` without credentials: user info and secret query values become ``***``."""
    return redact_text(url)


def redact_text(text: str) -> str:
    """Every URL credential in free text replaced by ``***``."""
    if "://" in text:
        text = _USERINFO.sub(rf"\1{MASK}@", text)
    if "=" in text:
        text = _SECRET_PARAM.sub(rf"\1{MASK}", text)
    return text


def is_secret_header(name: str) -> bool:
    """Whether a header's value is a credential by its name."""
    return bool(_SECRET_HEADER.search(name))


def redact_json(value: Any, *, _key: str = "") -> Any:
    """A copy of a JSON-like value with URL credentials and secret header values masked."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        if _key.lower() in {"headers", "header"}:
            return {
                str(k): MASK if is_secret_header(str(k)) else redact_json(v)
                for k, v in value.items()
            }
        return {k: redact_json(v, _key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    return value


def env_headers(names: Mapping[str, str], *, field: str) -> dict[str, str]:
    """Header name → value of the environment variable named for it.

    Raises:
        ConfigError: A variable is not set (one line naming ``field``, the header and the
            variable; never the value).
    """
    out: dict[str, str] = {}
    for header, variable in names.items():
        value = os.environ.get(variable)
        if value is None:
            raise ConfigError(
                f"{field}.{header}: environment variable {variable} is not set "
                "(headers_env takes header values from the environment)"
            )
        out[header] = value
    return out
