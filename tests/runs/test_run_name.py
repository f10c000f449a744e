"""A run's ``name`` becomes its directory's prefix: names that could leave ``-o`` (or hide the
run) are refused with one line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.runs import parse_config
from tests.runs.conftest import Runner, write_config

BASE = {
    "models": {"user": "openai:fake", "target": "openai:fake"},
    "scenarios": [{"id": "s", "goal": "book a room"}],
}


@pytest.mark.parametrize("name", ["run", "my run", "exp-1_v2", "ünï", "a.b", "x" * 200])
def test_plain_names_are_accepted(name: str) -> None:
    assert parse_config({**BASE, "name": name}).name == name


@pytest.mark.parametrize(
    "name",
    [
        "../../../../escaped",
        "a/b",
        "/abs",
        "a\\b",
        "..",
        ".hidden",
        "a..b",
        "",
        " ",
        "x\x00y",
        "x" * 201,
    ],
)
def test_names_that_are_not_a_plain_directory_name_are_refused(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**BASE, "name": name}, source="run.yaml")
    message = str(info.value)
    assert message.startswith("run.yaml: name: "), message
    assert "\n" not in message and len(message) < 200


def test_an_escaping_name_writes_nothing(tmp_path: Path, cli: Runner) -> None:
    (tmp_path / "sub").mkdir()
    config = write_config(tmp_path / "sub" / "run.yaml", "http://127.0.0.1:9/v1", epochs=1)
    config.write_text(config.read_text().replace("name: batch", 'name: "../../../escaped"'))
    done = cli("run", "sub/run.yaml", "-o", "sub/out")
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "simulacra: error: sub/run.yaml: name: must be a plain directory name (no '/', '\\' or "
        "'..', not starting with '.'), got '../../../escaped'\n"
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["run.yaml", "sub"]
    assert not list(tmp_path.parent.glob("escaped*"))  # where the name pointed
