"""Reading population specs (YAML) and persona files (JSONL), with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from simulacra._validation import read_jsonl, read_yaml, summarise
from simulacra.errors import ConfigError
from simulacra.profiles import Persona, Profile
from simulacra.profiles._population import PopulationSpec

__all__ = ["load_personas", "load_profiles", "load_spec"]


def load_spec(path: Path) -> PopulationSpec:
    """Read a population spec (YAML)."""
    data = read_yaml(path)
    try:
        return PopulationSpec.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {summarise(exc, model=PopulationSpec)}") from None


def load_profiles(path: Path) -> list[Any]:
    """Read profiles of any kind from JSONL (one per line) or a YAML list.

    A record without ``kind`` is a persona (the format ``simulacra personas`` writes).
    """

    adapter: TypeAdapter[Any] = TypeAdapter(Profile)
    if path.suffix in (".yaml", ".yml"):
        data = read_yaml(path)
        if not isinstance(data, list):
            raise ConfigError(f"{path}: expected a list of profiles")
        records = [(f"{path}: profile {i}", r) for i, r in enumerate(data, start=1)]
    else:
        records = [
            (f"{path}:{number}", record)
            for number, record in read_jsonl(path, what="profiles file", objects=False)
        ]
    profiles = []
    for where, record in records:
        if isinstance(record, dict):
            record.setdefault("kind", "persona")
        try:
            profiles.append(adapter.validate_python(record))
        except ValidationError as exc:
            raise ConfigError(f"{where}: {summarise(exc, model=Profile)}") from None
    return profiles


def load_personas(path: Path) -> list[Any]:
    """Read personas from JSONL (one per line); other kinds are an error."""

    profiles = load_profiles(path)
    for i, profile in enumerate(profiles, start=1):
        if not isinstance(profile, Persona):
            raise ConfigError(f"{path}: profile {i} is a {profile.kind}, not a persona")
    return profiles
