"""Embedded model files: assembled from package parts, verified by sha256 before loading."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from simulacra.errors import ModelNotAvailableError
from simulacra.models import CatalogueEntry, resolve_gguf


def _entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: list[bytes], sha: str
) -> CatalogueEntry:
    site = tmp_path / "site"
    names = []
    for i, data in enumerate(parts, start=1):
        pkg = site / f"simfake_part{i}" / "data"
        pkg.mkdir(parents=True)
        (pkg.parent / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
        (pkg / f"part{i:02d}.bin").write_bytes(data)
        names.append(f"simfake-part{i}")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path / "cache"))
    return CatalogueEntry(
        tier="fake",
        model="Fake",
        file_name="fake.gguf",
        sha256=sha,
        packages=tuple(names),
        part_template="data/part{i:02d}.bin",
        extra="models-fake",
        licence="-",
        note="-",
    )


def test_parts_are_assembled_once_and_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = [b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 7]
    sha = hashlib.sha256(b"".join(parts)).hexdigest()
    entry = _entry(tmp_path, monkeypatch, parts, sha)
    path = resolve_gguf(entry)
    assert path == tmp_path / "cache" / "models" / "fake.gguf"
    assert path.read_bytes() == b"".join(parts)
    assert "simfake_part1" not in sys.modules
    # tampering with the assembled file is caught on the next load
    path.write_bytes(b"evil")
    with pytest.raises(ModelNotAvailableError, match="sha256 mismatch"):
        resolve_gguf(entry)


def test_wrong_parts_leave_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry(tmp_path, monkeypatch, [b"x", b"y"], "0" * 64)
    with pytest.raises(
        ModelNotAvailableError, match="reinstall with pip install 'simulacra\\[models-fake\\]'"
    ):
        resolve_gguf(entry)
    assert not any((tmp_path / "cache" / "models").iterdir())


def test_missing_packages_name_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path))
    entry = CatalogueEntry(
        tier="ghost",
        model="Ghost",
        file_name="g.gguf",
        sha256="0" * 64,
        packages=("simulacra-no-such-part1", "simulacra-no-such-part2"),
        part_template="data/part{i:02d}.bin",
        extra="models-ghost",
        licence="-",
        note="-",
    )
    with pytest.raises(
        ModelNotAvailableError, match="is not installed: pip install 'simulacra\\[models-ghost\\]'"
    ):
        resolve_gguf(entry)
