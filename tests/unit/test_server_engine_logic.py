"""The server engine's pure logic: slot table, response mapping, spec checks (no process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.errors import ConfigError, ModelNotAvailableError
from simulacra.models import ModelSpec, parse_model_spec
from simulacra.models._engine_select import draft_path, embedded_api
from simulacra.models._llama_process import SERVER_ENV, find_server_binary
from simulacra.models._llama_server import _SlotTable, output_of


def test_slot_table_pins_a_key_and_evicts_the_least_recently_used() -> None:
    table = _SlotTable(2)
    a, b, c = (1, 1, 1), (2, 1, 1), (3, 1, 1)
    assert table.slot(a) == 0
    assert table.slot(b) == 1
    assert table.slot(a) == 0  # a is now the most recent
    assert table.slot(c) == 1  # b was the least recent: c takes its slot
    assert table.slot(a) == 0
    assert table.slot(b) == 1  # b comes back on c's slot, the least recent now


def test_output_maps_timings_to_usage_and_limit_to_length() -> None:
    out = output_of(
        {
            "content": "Hello there",
            "tokens_evaluated": 120,
            "tokens_predicted": 7,
            "stop_type": "limit",
            "timings": {"prompt_n": 15, "cache_n": 105},
        }
    )
    assert out.text == "Hello there"
    assert out.finish_reason == "length"
    assert (out.usage.prompt_tokens, out.usage.prompt_tokens_evaluated) == (120, 15)
    assert out.usage.completion_tokens == 7
    assert output_of({"content": "x", "stop_type": "eos"}).finish_reason == "stop"


def test_draft_must_be_an_embedded_tier_or_a_gguf_file(tmp_path: Path) -> None:
    assert draft_path(None) is None
    with pytest.raises(ConfigError, match="draft: expected 'embedded:<tier>' or 'gguf:<path>'"):
        draft_path("openai:gpt-4o")
    with pytest.raises(
        ModelNotAvailableError, match=r"draft: .*missing\.gguf: GGUF file not found"
    ):
        draft_path(f"gguf:{tmp_path / 'missing.gguf'}")
    real = tmp_path / "d.gguf"
    real.write_bytes(b"GGUF")
    assert draft_path(f"gguf:{real}") == real


@pytest.mark.parametrize("field", ["draft", "port"])
def test_server_only_fields_on_another_engine_are_config_errors(tmp_path: Path, field: str) -> None:
    value: object = "embedded:small" if field == "draft" else 8080
    spec = parse_model_spec({"model": "gguf:/x.gguf", "engine": "single", field: value})
    with pytest.raises(ConfigError, match=rf"{field}: only the 'server' engine takes it"):
        embedded_api(spec, tmp_path / "x.gguf", n_ctx=512, sha256=None)


def test_unknown_engine_in_the_environment_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIMULACRA_ENGINE", "turbo")
    spec = parse_model_spec("gguf:/x.gguf")
    with pytest.raises(ConfigError, match="expected one of single, batched, server, got 'turbo'"):
        embedded_api(spec, tmp_path / "x.gguf", n_ctx=512, sha256=None)


def test_port_must_be_a_tcp_port() -> None:
    with pytest.raises(ValueError, match="port"):
        ModelSpec(model="embedded:tiny", engine="server", port=70000)
    assert ModelSpec(model="embedded:tiny", engine="server", port=8081).port == 8081


def test_the_binary_is_found_in_the_env_then_the_cache_then_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "bin" / "llama-server"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.delenv(SERVER_ENV, raising=False)
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert find_server_binary() == binary
    other = tmp_path / "other-server"
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.setenv(SERVER_ENV, str(other))
    assert find_server_binary() == other
    monkeypatch.delenv(SERVER_ENV)
    binary.unlink()
    on_path = tmp_path / "nowhere" / "llama-server"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    assert find_server_binary() == on_path
    on_path.unlink()
    with pytest.raises(
        ModelNotAvailableError, match=r"build it with scripts/build_llama_server\.sh"
    ):
        find_server_binary()
