"""One-line summaries of pydantic validation errors, for ConfigError messages."""

from __future__ import annotations

from pydantic import ValidationError


def summarise(exc: ValidationError) -> str:
    """``"field.path: message"`` of the first error (``"message"`` when it has no location)."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{loc}: {message}" if loc else message
