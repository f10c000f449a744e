"""The typed run manifest: runs written by earlier versions still read; bad ``run.json`` is one
line naming the file and the field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.log import RUN_SCHEMA_VERSION, RunManifest, read_manifest, read_run

FIXTURE = Path(__file__).parents[1] / "fixtures" / "run_v0_7"


def test_a_run_json_written_by_0_7_reads_with_its_fields_typed() -> None:
    m = read_manifest(FIXTURE)
    assert isinstance(m, RunManifest)
    assert m.schema_version == RUN_SCHEMA_VERSION
    assert m.versions["simulacra"] == "0.7.0"
    assert m.status == "complete"
    assert m.name == "user-fidelity-goal_state"
    assert m.seed == 16 and m.work_items == 6
    assert m.summary is not None and m.summary["conversations"] == 6
    assert m.config is not None and m.config["name"] == m.name
    assert set(m.models) == {"user", "target"}
    assert all("@" in t for t in m.templates)
    assert m.finished_at is not None and m.created_at is not None
    assert m.finished_at > m.created_at
    # the typed view loses nothing of the dict readers get
    raw = read_run(FIXTURE)
    assert m.model_dump(exclude_unset=True) == raw


def test_fields_the_type_does_not_name_are_kept(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(
        json.dumps({"schema_version": 1, "name": "imported", "source": {"corpus": "multiwoz"}})
    )
    m = read_manifest(tmp_path)
    assert m.extra == {"source": {"corpus": "multiwoz"}}
    assert m.status is None and m.templates == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"name": "x"}', "run.json: schema_version: Field required"),
        ('{"schema_version": 1, "seed": "many"}', "run.json: seed: "),
        ('{"schema_version": 1, "summary": [1, 2]}', "run.json: summary: "),
        ("[1, 2]", "run.json: expected a JSON object, got list"),
        ('{"schema_version": 2}', "run.json: schema_version 2 was written by a newer Simulacra"),
        ('{"schema_version": 1', "run.json: not valid JSON"),
    ],
)
def test_a_bad_run_json_is_one_line_naming_the_file_and_field(
    tmp_path: Path, content: str, expected: str
) -> None:
    (tmp_path / "run.json").write_text(content)
    with pytest.raises(ConfigError) as info:
        read_manifest(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / "run.json") in message
    assert expected in message


def test_a_directory_without_run_json_is_not_a_run(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "r")
    (tmp_path / "r" / "run.json").unlink()
    with pytest.raises(ConfigError, match="not a run directory"):
        read_manifest(tmp_path / "r")
