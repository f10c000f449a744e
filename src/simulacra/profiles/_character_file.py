"""Reading a role-play character card file (YAML), with one-line errors."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from simulacra._validation import summarise
from simulacra.errors import ConfigError
from simulacra.profiles._roleplay import RolePlay

__all__ = ["load_character"]


def load_character(path: str | Path) -> RolePlay:
    """Read a character (a :class:`RolePlay` mapping; ``kind: roleplay`` may be left out).

    Raises:
        ConfigError: One line naming the file and field: missing file, malformed YAML, wrong kind,
            unknown field (with "did you mean ...?"), or an invalid value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: malformed YAML: {problem}") from None
    if not isinstance(data, dict):
        got = "nothing" if data is None else type(data).__name__
        raise ConfigError(f"{path}: expected a character mapping (handle, card, ...), got {got}")
    kind = data.get("kind", "roleplay")
    if kind != "roleplay":
        raise ConfigError(f"{path}: kind: expected 'roleplay', got {kind!r}")
    try:
        return RolePlay.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {summarise(exc, model=RolePlay)}") from None
