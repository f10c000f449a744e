"""One-line errors for bad input: pydantic validation summaries, and reading text, YAML and JSON
files so that every problem names the file and where in it (line and column, byte offset, or
field) before the cause."""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simulacra._yaml_strict import strict_load
from simulacra.errors import ConfigError

__all__ = [
    "check_regular_file",
    "duplicates",
    "load_yaml_model",
    "parse_json",
    "read_json",
    "read_jsonl",
    "read_text",
    "read_yaml",
    "summarise",
]

_M = TypeVar("_M", bound=BaseModel)


_FIELD_FIRST = re.compile(r"^[\w.\-\[\]]+: ")


def summarise(exc: ValidationError, *, model: object = None) -> str:
    """``"field.path: message"`` of the first error (``"top level: message"`` when it has no
    location, unless the message starts with the field it is about).

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
    if not loc and _FIELD_FIRST.match(message):
        return message  # a model-level check that names its field itself
    return f"{loc or 'top level'}: {message}"


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


def read_text(path: Path, *, what: str = "file") -> str:
    """The UTF-8 text of ``path``; missing, a folder, a FIFO, not UTF-8 (with the byte offset)
    or unreadable is a one-line :class:`~simulacra.errors.ConfigError` naming the file."""
    check_regular_file(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except OSError as exc:
        raise _unreadable(path, exc, what) from None


def _unreadable(path: Path, exc: OSError, what: str) -> ConfigError:
    """The one-line error for a file that cannot be opened: missing, a folder, or why not."""
    if isinstance(exc, FileNotFoundError):
        return ConfigError(f"{path}: file not found")
    if isinstance(exc, IsADirectoryError):
        return ConfigError(f"{path}: is a folder, not a {what}")
    return ConfigError(f"{path}: cannot read ({exc.strerror or exc})")


def read_yaml(path: Path) -> object:
    """Read a YAML file strictly (YAML 1.2 numbers, no duplicate keys, bounded depth and
    aliases: :mod:`simulacra._yaml_strict`); any problem is a one-line
    :class:`~simulacra.errors.ConfigError` naming the file (and line and column)."""
    text = read_text(path, what="YAML file")
    try:
        return strict_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        position = getattr(exc, "position", None)  # a ReaderError: a character YAML refuses
        if mark is None and isinstance(position, int):
            where = ":{}:{}".format(*_line_column(text, position))
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None)
        problem = problem or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: malformed YAML: {problem}") from None


MAX_JSON_DEPTH = 500
"""Deepest nesting of JSON arrays and objects reported as too deep (Python's parser recurses)."""
_LONG_INT = re.compile(r"\d{4301,}")


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _too_deep(text: str) -> int:
    """The offset where ``text`` first nests deeper than :data:`MAX_JSON_DEPTH` (0 if never)."""
    depth, in_string, escaped = 0, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return i
        elif ch in "]}":
            depth -= 1
    return 0


def parse_json(text: str, where: str | Path, *, line: int = 1) -> object:
    """``json.loads(text)``; malformed JSON, nesting too deep for the parser or an integer of more
    than 4,300 digits is a one-line :class:`~simulacra.errors.ConfigError`
    ``WHERE:LINE:COLUMN: malformed JSON: cause`` (``line``: the line ``text`` starts on, for
    JSON Lines)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at, problem = (exc.lineno, exc.colno), exc.msg
    except RecursionError:
        at = _line_column(text, _too_deep(text))
        problem = f"nested more than {MAX_JSON_DEPTH} levels deep"
    except ValueError as exc:  # an integer over Python's 4,300-digit conversion limit
        found = _LONG_INT.search(text)
        at = _line_column(text, found.start() if found else 0)
        problem = "an integer of more than 4,300 digits" if found else str(exc)[:100]
    raise ConfigError(f"{where}:{line + at[0] - 1}:{at[1]}: malformed JSON: {problem}")


def read_json(path: Path, *, what: str = "JSON file") -> object:
    """:func:`read_text` then :func:`parse_json`: every problem one line naming the file and
    where in it."""
    return parse_json(read_text(path, what=what), path)


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


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def read_jsonl(
    path: Path,
    *,
    what: str = "JSON Lines file",
    objects: bool = True,
    on_invalid: Callable[[int, str], None] | None = None,
) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line of a JSON Lines file, streamed: the one
    JSONL reader of the package.

    A missing file, a folder or an unreadable one is a one-line
    :class:`~simulacra.errors.ConfigError` naming it; a line that is not UTF-8 or not JSON is
    ``PATH:LINE[:COLUMN]: cause`` (:func:`parse_json`), and with ``objects`` a value that is not a
    JSON object is ``PATH:LINE: expected a JSON object, got array``. With ``on_invalid`` a bad
    line is handed to it (line number, the message) and skipped instead.
    """
    check_regular_file(path)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise _unreadable(path, exc, what) from None
    with f:
        number = 0
        while True:
            try:
                raw = f.readline()
            except OSError as exc:
                raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
            if not raw:
                return
            number += 1
            try:
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ConfigError(
                        f"{path}:{number}: not UTF-8 text (byte {exc.start}: {exc.reason})"
                    ) from None
                if not line.strip():
                    continue
                value = parse_json(line.rstrip("\r\n"), path, line=number)
                if objects and not isinstance(value, dict):
                    kind = _JSON_TYPES.get(type(value), "number")
                    raise ConfigError(f"{path}:{number}: expected a JSON object, got {kind}")
            except ConfigError as exc:
                if on_invalid is None:
                    raise
                on_invalid(number, str(exc))
                continue
            yield number, value
