"""Plug-ins through Python entry points: a third-party package can add a provider or a paradigm.

A package declares, in its ``pyproject.toml``::

    [project.entry-points."simulacra.providers"]
    mycloud = "mypkg.simulacra_provider:make_api"      # a factory ModelSpec -> ModelAPI

    [project.entry-points."simulacra.paradigms"]
    interview = "mypkg.interview"                       # a module that calls @register_paradigm

The entry point's *name* is the provider scheme (``mycloud:<model>``) or the paradigm name. Entry
points are read lazily: only when a name is not registered already, and only the entry point of
that name is loaded, so a broken plug-in disturbs nobody who does not ask for it. When it is
asked for, its failure is one line naming the entry point (a
:class:`~simulacra.errors.ConfigError`).
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from simulacra.errors import ConfigError

__all__ = [
    "PARADIGMS_GROUP",
    "PROVIDERS_GROUP",
    "PluginError",
    "describe_failure",
    "load_plugin",
    "plugin_names",
]

PROVIDERS_GROUP = "simulacra.providers"
PARADIGMS_GROUP = "simulacra.paradigms"


class PluginError(ConfigError):
    """A plug-in's entry point failed to load (one line naming the entry point)."""


def _entry_points(group: str) -> list[EntryPoint]:
    # read anew on every call: cheap for a name nobody registered, and a package installed (or a
    # folder put on sys.path) since the last call is seen
    return list(entry_points(group=group))


def plugin_names(group: str) -> list[str]:
    """Names of the entry points of ``group`` (nothing is imported)."""
    return sorted({ep.name for ep in _entry_points(group)})


def load_plugin(group: str, name: str) -> object | None:
    """Load the entry point ``name`` of ``group``: the object it names, ``None`` if there is none.

    Raises:
        PluginError: The entry point failed to import or load, in one line:
            ``plug-in entry point 'NAME = VALUE' (group G, package P): ErrorType: message``.
    """
    found = [ep for ep in _entry_points(group) if ep.name == name]
    if not found:
        return None
    ep = found[0]
    try:
        loaded: object = ep.load()
    except Exception as exc:  # a plug-in can fail in any way; it must not become a traceback
        raise PluginError(describe_failure(ep, exc)) from exc
    return loaded


def describe_failure(ep: EntryPoint, exc: BaseException) -> str:
    """One line naming the entry point, its group and package, and the error."""
    dist = getattr(ep, "dist", None)
    package = f", package {dist.name}" if dist is not None else ""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return (
        f"plug-in entry point '{ep.name} = {ep.value}' (group {ep.group}{package}): "
        f"{type(exc).__name__}: {detail}"
    )[:300]
