"""Output paths: ``-o`` into folders that do not exist yet works, and a failed command leaves no
empty folder behind."""

from __future__ import annotations

import contextlib
import errno
import io
import os
from pathlib import Path

import click
import pytest

from simulacra.cli import cli, main
from simulacra.cli._paths import OutputPath
from tests._cli import run_cli

SPEC = "n: 3\nseed: 1\nbase: {description: A customer writing to a shop's chat.}\n"


def test_o_into_new_folders_creates_them(tmp_path: Path) -> None:
    (tmp_path / "pop.yaml").write_text(SPEC)
    done = run_cli(["personas", "sample", "pop.yaml", "-o", "newdir/deeper/p.jsonl"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "newdir/deeper/p.jsonl").read_text().splitlines()) == 3


def test_a_failed_command_removes_the_folders_it_made(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("n: [\n")
    done = run_cli(["personas", "sample", "bad.yaml", "-o", "newdir/deeper/p.jsonl"], tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "newdir").exists()


def test_an_output_path_that_cannot_be_made_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pop.yaml").write_text(SPEC)
    (tmp_path / "a_file").write_text("")
    blocked = run_cli(["personas", "sample", "pop.yaml", "-o", "a_file/sub/p.jsonl"], tmp_path)
    assert blocked.returncode == 2
    assert "cannot create the folder for 'a_file/sub/p.jsonl' (Not a directory)" in blocked.stderr
    (tmp_path / "a_dir").mkdir()
    wrong_kind = run_cli(["personas", "sample", "pop.yaml", "-o", "a_dir"], tmp_path)
    assert wrong_kind.returncode == 2
    assert "is a directory" in wrong_kind.stderr
    assert "Traceback" not in blocked.stderr + wrong_kind.stderr


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        out.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            out += _commands(command, f"{prefix}{name} ")
    return out


def test_every_output_option_creates_its_folders() -> None:
    """Every ``-o/--output``/``--out`` file or folder option is an :class:`OutputPath` (``run``
    and ``play`` take ``--output-dir``: the run store makes run directories itself)."""
    outputs = []
    for name, command in _commands(cli):
        for param in command.params:
            if set(param.opts) & {"--output", "--out"}:
                outputs.append(name)
                assert isinstance(param.type, OutputPath), f"{name} {param.opts}"
    assert len(outputs) >= 35


def test_a_failed_command_rolls_back_what_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command that fails after writing (here a stand-in that appends, leaves a ``.tmp`` and
    then meets bad input) leaves the appended file at its old size, no ``.tmp`` and no folder it
    made; an output created by a failed command is removed (an empty ratings file, issue #21)."""

    @click.command("fail-midway")
    @click.option("-o", "--output", type=OutputPath(), required=True)
    def fail_midway(output: Path) -> None:
        with output.open("a", encoding="utf-8") as f:
            f.write('{"half": ')
        output.with_name(f".{output.name}.tmp").write_text("partial")
        raise ValueError("a row the reader did not expect")

    monkeypatch.setitem(cli.commands, "fail-midway", fail_midway)
    appended = tmp_path / "ratings.jsonl"
    appended.write_text('{"old": 1}\n')
    created = tmp_path / "newdir" / "ratings.jsonl"
    for target in (appended, created):
        err = io.StringIO()
        with pytest.raises(SystemExit) as exit_info, contextlib.redirect_stderr(err):
            main(["fail-midway", "-o", str(target)])
        assert exit_info.value.code == 2
        assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()
        assert not target.with_name(f".{target.name}.tmp").exists()
    assert appended.read_text() == '{"old": 1}\n'
    assert not (tmp_path / "newdir").exists()


def test_a_full_disk_in_any_command_is_one_line_exit_1_and_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails for lack of space (a stand-in command meets ENOSPC half-way through
    its -o file) is one line naming the file, exit code 1, and the half-written file is gone."""

    @click.command("fill-disk")
    @click.option("-o", "--output", type=OutputPath(), required=True)
    def fill_disk(output: Path) -> None:
        output.write_text('{"half": ')
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(output))

    monkeypatch.setitem(cli.commands, "fill-disk", fill_disk)
    target = tmp_path / "out" / "report.json"
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info, contextlib.redirect_stderr(err):
        main(["fill-disk", "-o", str(target)])
    assert exit_info.value.code == 1
    assert err.getvalue() == (
        f"simulacra: error: {target}: cannot write (No space left on device)\n"
    )
    assert not (tmp_path / "out").exists()
