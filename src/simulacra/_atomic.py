"""Writing a file whole or not at all: a temporary file beside it, then a rename.

A reader (or a crash) never sees half a file: it sees the old one or the new one. ``durable``
also flushes the data to disk before the rename (for files a later resume relies on).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["write_json_atomic", "write_text_atomic"]


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
    path = Path(path)
    if mkdir:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


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
