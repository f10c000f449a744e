"""Output paths: ``-o`` into folders that do not exist yet works, and a failed command leaves no
empty folder behind."""

from __future__ import annotations

from pathlib import Path

import click

from simulacra.cli import cli
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
