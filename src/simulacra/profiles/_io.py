"""Reading population specs (YAML) and persona files (JSONL), with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulacra._validation import summarise
from simulacra.errors import ConfigError
from simulacra.profiles._population import PopulationSpec

__all__ = ["load_personas", "load_spec"]


def load_spec(path: Path) -> PopulationSpec:
    """Read a population spec (YAML)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: malformed YAML") from None
    try:
        return PopulationSpec.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {summarise(exc)}") from None


def load_personas(path: Path) -> list[Any]:
    """Read personas from JSONL (one per line)."""
    from simulacra.profiles import Persona

    personas = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            personas.append(Persona.model_validate_json(line))
        except ValidationError as exc:
            raise ConfigError(f"{path}:{number}: {summarise(exc)}") from None
    return personas
