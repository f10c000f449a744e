"""The test-suite guard against real model calls (issue #17, ``tests/conftest.py``): a test not
marked ``model`` (or embedded/slow/train) cannot load or call a real model — in its own process,
even when the code under test swallows the error, and in a ``simulacra`` subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulacra.models import ModelRequestRefused, get_model

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]


def test_an_unmarked_test_cannot_build_a_local_model(tiny_gguf: str) -> None:
    with pytest.raises(ModelRequestRefused, match=r"@pytest\.mark\.model") as info:
        get_model(f"gguf:{tiny_gguf}")
    assert "\n" not in str(info.value)


def test_a_missing_model_file_is_still_reported_as_missing(tmp_path: Path) -> None:
    # the guard comes after the checks of bad input, which need no model
    with pytest.raises(ModelRequestRefused.__mro__[1], match="GGUF file not found"):
        get_model(f"gguf:{tmp_path / 'none.gguf'}")


def test_a_simulacra_subprocess_of_an_unmarked_test_refuses(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        "name: guard\nmodels: {user: embedded:tiny, target: embedded:tiny}\n"
        "scenarios: [{id: s1, goal: book a room}]\nstop: {max_turns: 2}\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "simulacra", "run", str(config), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2, out.stderr
    assert "real model calls are switched off" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


INNER = """
import llama_cpp
import pytest

PATH = {path!r}


def test_unmarked_swallowed():
    try:
        llama_cpp.Llama(model_path=PATH, n_ctx=64, verbose=False)
    except BaseException:
        pass  # the code under test hides the failure; the guard still fails the test


@pytest.fixture(scope="session")
def loaded():
    # a session fixture loads the model before any test's guard is in place
    return llama_cpp.Llama(model_path=PATH, n_ctx=128, verbose=False)


def test_unmarked_call_of_a_loaded_model(loaded):
    loaded.create_completion("Hello", max_tokens=2)


def test_unmarked_low_level_load():
    # the way the batch engine loads a model (no Llama object)
    from llama_cpp import _internals

    params = _internals.LlamaModel.default_params()
    _internals.LlamaModel(path_model=PATH, params=params, verbose=False)


@pytest.mark.model
def test_marked_runs_the_model():
    llm = llama_cpp.Llama(model_path=PATH, n_ctx=128, verbose=False)
    assert llm.tokenize(b"hello")


@pytest.mark.embedded
def test_embedded_implies_model():
    llama_cpp.Llama(model_path=PATH, n_ctx=64, verbose=False)
"""


@pytest.mark.model
def test_the_guard_fails_unmarked_tests_and_lets_marked_ones_run(
    pytester: pytest.Pytester, tiny_gguf: str
) -> None:
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_inner=INNER.format(path=tiny_gguf))
    pytester.makeini(
        "[pytest]\nmarkers =\n    model: m\n    embedded: e\n    slow: s\n    train: t\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=600)
    result.assert_outcomes(passed=3, failed=2, errors=1)  # swallowed: an error at teardown
    assert "__del__" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*test_unmarked_call_of_a_loaded_model*a real model call (a llama.cpp model called)*"]
    )
    result.stdout.fnmatch_lines(["*test_unmarked_low_level_load*(a llama.cpp model loaded)*"])
    result.stdout.fnmatch_lines(
        ["*test_unmarked_swallowed*a real model call (a llama.cpp model loaded)*not marked*"]
    )
