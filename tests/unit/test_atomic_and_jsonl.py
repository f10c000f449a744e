"""The one atomic writer (``simulacra._atomic.atomic_file``) and the one JSONL reader
(``simulacra._validation.read_jsonl``) every other module uses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulacra._atomic import atomic_file, write_json_atomic
from simulacra._validation import read_jsonl
from simulacra.errors import ConfigError


def test_atomic_file_replaces_the_file_only_when_the_block_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_file(path) as f:
        f.write("half")
        raise RuntimeError("crash mid-write")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]  # no .tmp left
    with atomic_file(path, durable=True, sync_dir=True) as f:
        f.write("new\n")
    assert path.read_text(encoding="utf-8") == "new\n"


def test_atomic_file_binary_mkdir_and_per_process_temporary_name(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b.bin"
    with atomic_file(path, binary=True, mkdir=True, per_process=True) as f:
        assert Path(f.name).name == f".b.bin.{os.getpid()}.tmp"
        f.write(b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    write_json_atomic(tmp_path / "x.json", {"k": [1]})
    assert (tmp_path / "x.json").read_text(encoding="utf-8") == '{\n  "k": [\n    1\n  ]\n}\n'


def test_read_jsonl_yields_line_numbers_and_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n{"a": \n', encoding="utf-8")
    rows = read_jsonl(path)
    assert next(rows) == (1, {"a": 1})
    assert next(rows) == (3, {"a": 2})  # blank lines keep their numbers
    with pytest.raises(ConfigError, match=r"rows\.jsonl:4:\d+: malformed JSON: "):
        next(rows)


def test_read_jsonl_objects_only_unless_told_and_skips_bad_lines_on_request(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'[1, 2]\n{"ok": true}\n\xff\xfe\n"text"\n')
    with pytest.raises(ConfigError, match=r"rows\.jsonl:1: expected a JSON object, got array"):
        list(read_jsonl(path))
    bad: list[tuple[int, str]] = []
    kept = list(read_jsonl(path, on_invalid=lambda n, message: bad.append((n, message))))
    assert kept == [(2, {"ok": True})]
    assert [n for n, _ in bad] == [1, 3, 4]
    assert "rows.jsonl:3: not UTF-8 text" in bad[1][1]
    with pytest.raises(ConfigError, match=r"missing\.jsonl: file not found"):
        list(read_jsonl(tmp_path / "missing.jsonl"))
    with pytest.raises(ConfigError, match=r": is a folder, not a data file"):
        list(read_jsonl(tmp_path, what="data file"))
