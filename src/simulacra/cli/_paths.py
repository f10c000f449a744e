"""Output paths of the CLI: ``-o newdir/file`` works, and a failed command leaves no empty folder.

Every ``-o/--output`` option that names a file or folder to write is an :class:`OutputPath`: when
the option is read, the missing folders above it are created (``personas sample pop.yaml -o
newdir/p.jsonl``); :func:`simulacra.cli.main` removes them again, if they are still empty, when
the command fails. (``run -o`` and ``play -o`` name where run directories go; the run store
creates those itself.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any, Literal

import click

__all__ = [
    "OutputPath",
    "discard_created_folders",
    "make_parents",
    "remember_output",
    "roll_back_outputs",
]

_created: list[Path] = []
"""Folders made by :func:`make_parents` in this command, outermost first."""

_outputs: list[tuple[Path, int | None]] = []
"""Each output path of this command and its size before (``None``: it did not exist)."""


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else (-1 if path.exists() else None)
    except OSError:
        return -1


def remember_output(path: Path) -> None:
    """Note an output path (and the temporary names writers use for it) as it is now, so that
    :func:`roll_back_outputs` can undo what a failed command wrote there."""
    for candidate in (
        path,
        path.with_name(f".{path.name}.tmp"),
        path.with_name(f"{path.name}.tmp"),
    ):
        _outputs.append((candidate, _size(candidate)))


def roll_back_outputs(*, keep: bool) -> None:
    """Unless ``keep``: remove the output files and folders the command created, and cut files
    it appended to back to their old size (a failed command leaves nothing half-written)."""
    outputs = list(reversed(_outputs))
    _outputs.clear()
    if keep:
        return
    for path, before in outputs:
        with contextlib.suppress(OSError):
            if before is None and path.is_file():
                path.unlink()
            elif before is None and path.is_dir():
                shutil.rmtree(path)
            elif before is not None and 0 <= before < path.stat().st_size and path.is_file():
                with path.open("r+b") as f:
                    f.truncate(before)


def make_parents(path: Path) -> None:
    """Create the missing folders above ``path`` (remembered for :func:`discard_created_folders`).

    Raises:
        OSError: A folder cannot be created (a file in the way, no permission, ...).
    """
    missing: list[Path] = []
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # made meanwhile by someone else: not ours to remove
        _created.append(folder)


def discard_created_folders(*, keep: bool) -> None:
    """Forget the folders :func:`make_parents` made; unless ``keep``, remove the empty ones."""
    folders = list(reversed(_created))
    _created.clear()
    if keep:
        return
    for folder in folders:
        # something was written there after all (or it is gone): leave it
        with contextlib.suppress(OSError):
            folder.rmdir()


class OutputPath(click.Path):
    """A ``file`` (default), ``folder`` or ``either`` that the command writes; its parent folders
    are created when the option is read. An existing path of the wrong kind is a one-line usage
    error (exit 2)."""

    def __init__(self, kind: Literal["file", "folder", "either"] = "file") -> None:
        super().__init__(path_type=Path, file_okay=kind != "folder", dir_okay=kind != "file")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        remember_output(Path(os.fsdecode(path)))
        try:
            make_parents(Path(os.fsdecode(path)))
        except OSError as exc:
            self.fail(
                f"cannot create the folder for {os.fsdecode(path)!r} "
                f"({exc.strerror or type(exc).__name__})",
                param,
                ctx,
            )
        return path
