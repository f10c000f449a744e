"""Every exception Simulacra raises on purpose.

The hierarchy::

    SimulacraError
    ├── ConfigError                 bad input: a file, a field, a value (CLI exit code 2)
    │   └── ModelNotAvailableError  a model is not installed, not found, or fails its sha256
    ├── MissingExtraError           an optional extra is not installed (names the pip command)
    ├── OutputError                 an output cannot be written: disk full, no permission (exit 1)
    └── ModelError                  a model call failed (raised by providers, handled by Model)
        ├── RateLimitError          429 / overload; retried (honours ``retry_after``)
        ├── TransientError          5xx, connection reset, timeout; retried
        ├── MalformedResponseError  unparseable or empty response; retried
        ├── AuthenticationError     401/403; never retried
        ├── ContextWindowError      prompt does not fit the context window; never retried
        └── ContentFilterError      the provider refused the content; never retried

Errors *inside* a conversation never escape :func:`simulacra.run_conversation`: they end the
conversation with a :class:`~simulacra.TerminationReason` and are recorded as data.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfigError",
    "ContentFilterError",
    "ContextWindowError",
    "MalformedResponseError",
    "MissingExtraError",
    "ModelError",
    "ModelNotAvailableError",
    "OutputError",
    "RateLimitError",
    "SimulacraError",
    "TransientError",
]


class SimulacraError(Exception):
    """Base class of all Simulacra errors."""


class ConfigError(SimulacraError):
    """Invalid user input. The message is one line naming the file/field and the fix."""


class ModelNotAvailableError(ConfigError):
    """A model cannot be loaded: not installed, file missing, or checksum mismatch."""


class MissingExtraError(SimulacraError):
    """An optional dependency is missing.

    Args:
        extra: The name of the extra that provides it, e.g. ``"embedded"``.
        what: What needed it.
    """

    def __init__(self, extra: str, what: str) -> None:
        self.extra = extra
        super().__init__(f"{what} needs the '{extra}' extra: pip install 'simulacra[{extra}]'")


class OutputError(SimulacraError):
    """An output file cannot be written (the disk is full, a quota, no permission). The message
    is one line naming the file and the cause; what was written before stays (a run resumes)."""


class ModelError(SimulacraError):
    """A model call failed.

    Attributes:
        retryable: Whether :class:`~simulacra.models.Model` should retry the call.
        kind: A short machine-readable name of the failure class.
    """

    retryable: bool = False
    kind: str = "model_error"


class RateLimitError(ModelError):
    """The provider asked us to slow down (HTTP 429 or an overload signal)."""

    retryable = True
    kind = "rate_limit"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(ModelError):
    """A failure that may pass: 5xx, connection errors, timeouts."""

    retryable = True
    kind = "transient"


class MalformedResponseError(ModelError):
    """The provider answered with something that is not a valid completion."""

    retryable = True
    kind = "malformed_response"


class AuthenticationError(ModelError):
    """The provider rejected the credentials."""

    kind = "auth"


class ContextWindowError(ModelError):
    """The request does not fit in the model's context window."""

    kind = "context_window_exceeded"


class ContentFilterError(ModelError):
    """The provider refused to produce or accept the content."""

    kind = "content_filter"
