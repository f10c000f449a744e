"""Strict YAML for user files (issue #21 item 7): duplicate keys, YAML 1.2 numbers, bounds; and
the CLI lines they give."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulacra._yaml_strict import StrictYAMLError, strict_load
from simulacra.cli import main


def test_numbers_are_read_as_yaml_1_2() -> None:
    data = strict_load("a: 1:30\nb: 010\nc: 1e12\nd: 0x1F\ne: 0o17\nf: 1.5\ng: -3\nh: yes\n")
    assert data == {"a": "1:30", "b": 10, "c": 1e12, "d": 31, "e": 15, "f": 1.5, "g": -3, "h": True}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: a\nseed: 1\nname: b\n", "duplicate key 'name' (first at line 1)"),
        ("[" * 5000 + "]" * 5000, "nested more than 200 levels deep"),
        ("n: " + "9" * 5000, "integer of more than 100 digits"),
        ("a: &a [x]\n" + "".join(f"k{i}: *a\n" for i in range(1001)), "more than 1000 aliases"),
    ],
)
def test_refused_documents_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(StrictYAMLError) as info:
        strict_load(text)
    assert problem in str(info.value.problem)
    assert isinstance(info.value, yaml.YAMLError)


def _error(tmp_path: Path, config: str, capsys: pytest.CaptureFixture[str]) -> str:
    (tmp_path / "run.yaml").write_text(config)
    with pytest.raises(SystemExit) as info:
        main(["run", str(tmp_path / "run.yaml"), "-o", str(tmp_path / "out")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and len(err.strip()) <= 300
    assert not (tmp_path / "out").exists()
    return err.strip()


BASE = "models: {user: embedded:tiny, target: embedded:tiny}\nscenarios: [{id: a, goal: g}]\n"


def test_cli_lines_for_strict_yaml_and_absurd_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _error(tmp_path, "name: x\n" + BASE + "name: y\n", capsys)
    assert err.endswith("run.yaml:4:1: malformed YAML: duplicate key 'name' (first at line 1)")
    err = _error(tmp_path, BASE + "stop: {max_turns: 1:30}\n", capsys)
    assert "stop.max_turns" in err and "'1:30'" in err
    err = _error(tmp_path, BASE + "epochs: 1e12\n", capsys)
    assert "epochs: Input should be less than or equal to 1000000" in err
    err = _error(tmp_path, BASE + "seed: " + "n" * 100_000 + "\n", capsys)  # echoed value
    assert err.endswith("...")
