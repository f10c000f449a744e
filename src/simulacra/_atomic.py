"""Writing a file whole or not at all: a temporary file beside it, then a rename.

A reader (or a crash) never sees half a file: it sees the old one or the new one. ``durable``
also flushes the data to disk before the rename (for files a later resume relies on). Every
file Simulacra replaces goes through :func:`atomic_file` (streamed) or the two helpers on top of
it (a whole text or JSON value).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_file", "write_json_atomic", "write_text_atomic"]


@contextlib.contextmanager
def atomic_file(
    path: str | Path,
    *,
    binary: bool = False,
    durable: bool = False,
    mkdir: bool = False,
    sync_dir: bool = False,
    per_process: bool = False,
) -> Iterator[IO[Any]]:
    """Open ``.NAME.tmp`` beside ``path`` for writing (UTF-8 text, or bytes with ``binary``);
    when the block ends without an exception it replaces ``path``, otherwise it is removed and
    ``path`` is left as it was.

    Args:
        path: The file to write.
        binary: Open the temporary file in binary mode.
        durable: ``fsync`` the temporary file before the rename.
        mkdir: Create the parent folders first.
        sync_dir: ``fsync`` the folder after the rename too (the rename itself survives a
            power cut).
        per_process: Name the temporary file ``.NAME.<pid>.tmp``, for files that several
            processes may write at once (the last rename wins, each file whole).
    """
    path = Path(path)
    if mkdir:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp" if per_process else f".{path.name}.tmp")
    try:
        with tmp.open("wb") if binary else tmp.open("w", encoding="utf-8") as f:
            yield f
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def write_text_atomic(
    path: str | Path, text: str, *, durable: bool = False, mkdir: bool = False
) -> None:
    """Replace ``path`` with ``text`` (UTF-8) through ``.NAME.tmp`` and a rename.

    Args:
        path: The file to write.
        text: Its whole content.
        durable: ``fsync`` the temporary file before the rename.
        mkdir: Create the parent folders first.
    """
    with atomic_file(path, durable=durable, mkdir=mkdir) as f:
        f.write(text)


def write_json_atomic(
    path: str | Path,
    data: Any,
    *,
    ensure_ascii: bool = True,
    durable: bool = False,
    mkdir: bool = False,
) -> None:
    """Replace ``path`` with ``data`` as indented JSON and a final newline (values JSON does not
    know are written with ``str``); see :func:`write_text_atomic`."""
    text = json.dumps(data, indent=2, default=str, ensure_ascii=ensure_ascii) + "\n"
    write_text_atomic(path, text, durable=durable, mkdir=mkdir)
