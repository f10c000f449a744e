"""The provider registry: which ``SCHEME:`` of a model spec builds which :class:`ModelAPI`.

The built-in schemes (``embedded``, ``gguf``, ``openai``, ``transformers``) register in
:mod:`simulacra.models._resolve`; anyone else registers with :func:`register_provider`, or from
another package through the ``simulacra.providers`` entry point group (see
:mod:`simulacra._plugins`), whose entry point names the scheme and points at the factory.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from simulacra._plugins import PROVIDERS_GROUP, PluginError, load_plugin, plugin_names
from simulacra.errors import ConfigError

if TYPE_CHECKING:
    from simulacra.models._model import ModelAPI
    from simulacra.models._resolve import ModelSpec

__all__ = [
    "ProviderFactory",
    "get_provider",
    "is_provider",
    "provider_schemes",
    "register_provider",
    "unregister_provider",
]

ProviderFactory = Callable[["ModelSpec"], "ModelAPI"]
"""Builds the adapter of a spec: ``factory(spec) -> ModelAPI``. ``spec.model`` is
``SCHEME:TARGET``; ``spec.target`` is the part after the colon."""

_SCHEME = re.compile(r"[a-z][a-z0-9_-]*")
_REGISTRY: dict[str, ProviderFactory] = {}


def register_provider(scheme: str, factory: ProviderFactory, *, replace: bool = False) -> None:
    """Make ``SCHEME:<target>`` model specs build their adapter with ``factory``.

    Example::

        def make_api(spec: ModelSpec) -> ModelAPI:
            return MyCloudAPI(model=spec.target, base_url=spec.base_url)

        register_provider("mycloud", make_api)
        get_model("mycloud:large-v2", role="user")

    Raises:
        ValueError: ``scheme`` is not lower-case letters, digits, ``_`` or ``-`` (starting with a
            letter), or is registered already (pass ``replace=True`` to swap it, e.g. in a test).
    """
    if not _SCHEME.fullmatch(scheme):
        raise ValueError(f"provider scheme {scheme!r}: lower-case letters, digits, '_' or '-'")
    if not callable(factory):
        raise ValueError(f"provider {scheme!r}: the factory is not callable")
    if scheme in _REGISTRY and not replace:
        raise ValueError(f"provider {scheme!r} is already registered")
    _REGISTRY[scheme] = factory


def unregister_provider(scheme: str) -> None:
    """Forget a scheme (for tests that registered one)."""
    _REGISTRY.pop(scheme, None)


def provider_schemes() -> list[str]:
    """Registered schemes, then those offered by installed plug-ins (not imported)."""
    return [*_REGISTRY, *(n for n in plugin_names(PROVIDERS_GROUP) if n not in _REGISTRY)]


def is_provider(scheme: str) -> bool:
    """Whether ``scheme`` is registered or offered by a plug-in (nothing is imported)."""
    return scheme in _REGISTRY or scheme in plugin_names(PROVIDERS_GROUP)


def get_provider(scheme: str) -> ProviderFactory:
    """The factory of a scheme, loading its plug-in on first use.

    Raises:
        ConfigError: Unknown scheme (with the closest known one), or a plug-in that failed to
            load or registered nothing (one line naming the entry point).
    """
    if scheme in _REGISTRY:
        return _REGISTRY[scheme]
    loaded = load_plugin(PROVIDERS_GROUP, scheme)
    if scheme in _REGISTRY:  # a module that registered itself on import
        return _REGISTRY[scheme]
    if loaded is not None:
        if callable(loaded) and not inspect.ismodule(loaded):
            register_provider(scheme, loaded)
            return _REGISTRY[scheme]
        raise PluginError(
            f"plug-in entry point {scheme!r} (group {PROVIDERS_GROUP}): names neither a factory "
            f"nor a module that calls register_provider({scheme!r}, ...)"
        )
    known = provider_schemes()
    close = difflib.get_close_matches(scheme, known, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"unknown model provider {scheme!r}{hint}; known: {', '.join(known)}")
