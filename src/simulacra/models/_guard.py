"""A switch that refuses to load local models (like pydantic-ai's ``ALLOW_MODEL_REQUESTS``).

``SIMULACRA_ALLOW_MODEL_REQUESTS=0`` in the environment makes every local model (``embedded:``,
``gguf:``, ``transformers:``, the reference LM of perplexity) refuse to load, in one line. The
test suite sets it for every test not marked ``@pytest.mark.model`` (``tests/conftest.py``), so a
test cannot call a real model by accident, in its own process or in a ``simulacra`` subprocess;
a fast lane without models (``pytest -m "not model"``) stays fast.
"""

from __future__ import annotations

import os

from simulacra.errors import ConfigError

__all__ = ["ALLOW_MODEL_REQUESTS_ENV", "ModelRequestRefused", "check_model_requests_allowed"]

ALLOW_MODEL_REQUESTS_ENV = "SIMULACRA_ALLOW_MODEL_REQUESTS"


class ModelRequestRefused(ConfigError):
    """A local model was about to load while model requests are switched off."""


def check_model_requests_allowed(model: str) -> None:
    """Raise :class:`ModelRequestRefused` if ``SIMULACRA_ALLOW_MODEL_REQUESTS`` is off.

    Raises:
        ModelRequestRefused: One line naming the model and the switch.
    """
    value = os.environ.get(ALLOW_MODEL_REQUESTS_ENV, "1").strip().lower()
    if value in {"0", "false", "no", "off"}:
        raise ModelRequestRefused(
            f"model {model!r}: real model calls are switched off "
            f"({ALLOW_MODEL_REQUESTS_ENV}={value}; in Simulacra's tests, mark the test "
            "@pytest.mark.model)"
        )
