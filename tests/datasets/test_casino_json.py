"""One reader of CaSiNo's JSON for the adapter, the personas and the negotiation paradigm."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.datasets import casino_personas, casino_records
from simulacra.datasets._casino import read_casino
from simulacra.errors import ConfigError
from simulacra.paradigms._casino import load_casino


def test_every_casino_consumer_reads_the_same_records(shared_data: Path) -> None:
    split = shared_data / "casino" / "data" / "split"
    valid = split / "casino_valid.json"
    records = casino_records(valid)
    assert len(records) == 30 and records[0] is casino_records(valid)[0]  # read once, cached
    assert load_casino(valid) == records
    assert len(list(read_casino(valid))) == len(records)
    assert len(list(casino_personas(valid))) == 2 * len(records)
    assert len(casino_records(split)) == 1030  # the folder: every casino*.json


def test_bad_casino_files_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no casino\*\.json files"):
        casino_records(tmp_path)
    bad = tmp_path / "casino_x.json"
    bad.write_text('{"not": "a list"}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"casino_x\.json: expected a JSON list of CaSiNo"):
        casino_records(bad)
    bad.write_text('[{"dialogue_id": 1}]', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"dialogue 0: missing field 'participant_info'"):
        casino_records(bad)
    with pytest.raises(ValueError, match="file not found"):
        load_casino(tmp_path / "missing.json")
