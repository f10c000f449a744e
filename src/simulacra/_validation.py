"""One-line errors for bad input: pydantic validation summaries and YAML file reading."""

from __future__ import annotations

import difflib
import os
import stat
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simulacra._yaml_strict import strict_load
from simulacra.errors import ConfigError

_M = TypeVar("_M", bound=BaseModel)


def summarise(exc: ValidationError, *, model: object = None) -> str:
    """``"field.path: message"`` of the first error (``"message"`` when it has no location).

    With ``model`` (a pydantic model or a type built of them), an unknown field gets a
    "did you mean ...?" hint from the field names that type knows.
    """
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden" and model is not None and first["loc"]:
        close = difflib.get_close_matches(
            str(first["loc"][-1]), sorted(_field_names(model)), n=1, cutoff=0.6
        )
        message = "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
    return f"{loc}: {message}" if loc else message


def _field_names(tp: object, seen: set[object] | None = None) -> set[str]:
    """Every field name of the pydantic models reachable from ``tp``."""
    seen = set() if seen is None else seen
    if tp in seen:
        return set()
    seen.add(tp)
    names: set[str] = set()
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            names.add(name)
            names |= _field_names(field.annotation, seen)
        return names
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _field_names(typing.get_args(tp)[0], seen)
    if origin is not None or isinstance(tp, types.UnionType):
        for arg in typing.get_args(tp):
            names |= _field_names(arg, seen)
    return names


def check_regular_file(path: Path) -> None:
    """Refuse a path that exists but is not a regular file (a FIFO, socket or device: reading
    one would block or never end) with a one-line :class:`~simulacra.errors.ConfigError`."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # missing or unreadable: the reader's own error says so
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise ConfigError(f"{path}: not a regular file (a pipe, socket or device)")


def read_yaml(path: Path) -> object:
    """Read a YAML file strictly (YAML 1.2 numbers, no duplicate keys, bounded depth and
    aliases: :mod:`simulacra._yaml_strict`); any problem is a one-line
    :class:`~simulacra.errors.ConfigError` naming the file (and line and column)."""
    check_regular_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a YAML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return strict_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: malformed YAML: {problem}") from None


def load_yaml_model(path: Path, model: type[_M]) -> _M:
    """Read a YAML file into ``model``; bad YAML or a bad field is a one-line
    :class:`~simulacra.errors.ConfigError` naming the file (and the field, with did-you-mean)."""
    try:
        return model.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {summarise(exc, model=model)}") from None


def duplicates(values: Sequence[str]) -> list[str]:
    """The values that occur more than once, sorted (for "duplicate id" errors)."""
    return sorted({v for v in values if values.count(v) > 1})
