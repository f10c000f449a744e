"""Reading a role-play character card file (YAML), with one-line errors."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from simulacra._validation import read_yaml, summarise
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
    data = read_yaml(path)
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
