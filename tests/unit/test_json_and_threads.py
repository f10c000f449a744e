"""The lenient JSON reader shared by judges and paradigms, and the llama.cpp thread setting."""

from __future__ import annotations

import pytest

from simulacra._json import parse_json_object
from simulacra.errors import ConfigError
from simulacra.models._embedded import default_threads


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"winner": "A"}', {"winner": "A"}),
        ('Verdict:\n```json\n{"winner": "B", "n": 2}\n```', {"winner": "B", "n": 2}),
        # A raw line break inside a string is invalid strict JSON; small judges write it.
        (
            '{"explanation": "first line\nsecond line", "winner": "A"}',
            {"explanation": "first line\nsecond line", "winner": "A"},
        ),
    ],
)
def test_parse_json_object_reads_what_models_write(text: str, expected: dict[str, object]) -> None:
    assert parse_json_object(text) == expected


@pytest.mark.parametrize("text", ["", "no json here", "[1, 2]", '{"a": }', '"{"'])
def test_parse_json_object_rejects_non_objects(text: str) -> None:
    assert parse_json_object(text) is None


def test_threads_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMULACRA_THREADS", "1")
    assert default_threads() == 1
    monkeypatch.delenv("SIMULACRA_THREADS")
    assert default_threads() >= 1
    monkeypatch.setenv("SIMULACRA_THREADS", "zero")
    with pytest.raises(ConfigError, match="SIMULACRA_THREADS"):
        default_threads()
