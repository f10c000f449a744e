"""Counterfactual persona swaps for the bias audit: the same run config with ONE persona
attribute changed to each of a few values, everything else (other attributes, scenarios,
models, seed, profile ids) kept, so every work item gets the same seed in every swapped run.
Split from :mod:`simulacra.evaluation._bias`, which measures and tests the swapped runs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from simulacra.errors import ConfigError
from simulacra.profiles import Demographics, Persona, Profile

__all__ = ["attribute_value", "swap_profiles", "swapped_configs"]


def _path(attribute: str) -> tuple[str, str]:
    """``gender`` → ``("demographics", "gender")``; ``nationality`` → ``("attributes", ...)``."""
    if "." in attribute:
        head, _, name = attribute.partition(".")
        if head not in ("demographics", "attributes", "behaviour") or not name:
            raise ConfigError(
                f"attribute {attribute!r}: expected demographics.X, attributes.X or behaviour.X"
            )
        return head, name
    if attribute in Demographics.model_fields:
        return "demographics", attribute
    return "attributes", attribute


def attribute_value(profile: Profile, attribute: str) -> object:
    """A persona's value of ``attribute`` (``None`` if unset or not a persona)."""
    if not isinstance(profile, Persona):
        return None
    head, name = _path(attribute)
    if head == "attributes":
        return profile.attributes.get(name)
    return getattr(getattr(profile, head), name, None)


def swap_profiles(
    profiles: Sequence[Profile], attribute: str, value: str | int | float
) -> list[Profile]:
    """The same personas with ``attribute`` set to ``value``, everything else (ids included)
    kept.

    Raises:
        ConfigError: If a profile is not a persona, or the value does not fit the field.
    """
    head, name = _path(attribute)
    out: list[Profile] = []
    for i, p in enumerate(profiles):
        if not isinstance(p, Persona):
            raise ConfigError(
                f"profiles.{i} ({p.profile_id()}): a {p.kind} profile has no attribute to swap; "
                "use persona profiles"
            )
        data = p.model_dump()
        if head == "attributes":
            data["attributes"][name] = value
        else:
            data[head][name] = value
        try:
            out.append(Persona.model_validate(data))
        except ValueError as exc:
            first = str(exc).splitlines()[2] if len(str(exc).splitlines()) > 2 else str(exc)
            raise ConfigError(f"{attribute}={value!r}: {first.strip()}") from None
    return out


def _coerce(attribute: str, value: str) -> str | int | float:
    head, name = _path(attribute)
    if (head, name) == ("demographics", "age"):
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{attribute}: expected a whole number, got {value!r}") from None
    if head == "behaviour" and name != "emotional_state":
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{attribute}: expected a number in [0, 1], got {value!r}") from None
    return value


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def swapped_configs(config: Any, attribute: str, values: Sequence[str]) -> dict[str, Any]:
    """One run config per value: the personas swapped, the run named
    ``<name>-<attribute>-<value>``, everything else unchanged.

    Args:
        config: A :class:`~simulacra.runs.RunConfig`.
        attribute: ``gender``, ``age``, ``nationality``, or a dotted path
            (``demographics.location``, ``attributes.religion``, ``behaviour.politeness``).
        values: At least two values (strings; ages and knobs are converted).

    Raises:
        ConfigError: With fewer than two distinct values or non-persona profiles.
    """
    if len(set(values)) < 2:
        raise ConfigError(f"--swap {attribute}: give at least two different values")
    out = {}
    for v in values:
        profiles = swap_profiles(config.profiles, attribute, _coerce(attribute, v))
        name = f"{config.name}-{_slug(attribute)}-{_slug(v)}"
        out[v] = config.model_copy(update={"profiles": profiles, "name": name})
    return out
