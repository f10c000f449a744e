"""Bad input: one line naming the file and field, exit code 2, nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._cli import run_cli as _cli

from simulacra.cli import main
from simulacra.errors import ConfigError
from simulacra.runs import load_config, parse_config, work_item_id, work_items

GOOD = """
name: t
models:
  user: embedded:tiny
  target: {model: "embedded:tiny", temperature: 0.2}
scenarios:
  - id: s1
    goal: book a room
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "run.yaml"
    p.write_text(text)
    return p


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / "run.yaml") in message
    return message


def test_good_config_parses(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, GOOD))
    assert cfg.models["target"].temperature == 0.2
    assert cfg.profiles[0].kind == "general"


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    assert ":4:" in _error(tmp_path, "name: t\nmodels:\n  user: [a\nscenarios: x\n")


def test_unknown_key_suggests_closest(tmp_path: Path) -> None:
    msg = _error(tmp_path, GOOD + "stop:\n  max_turn: 3\n")
    assert "stop.max_turn: unknown key (did you mean 'max_turns'?)" in msg


def test_wrong_type(tmp_path: Path) -> None:
    msg = _error(tmp_path, GOOD + "stop:\n  max_turns: ten\n")
    assert "stop.max_turns" in msg and "'ten'" in msg


def test_missing_field_and_bad_model(tmp_path: Path) -> None:
    assert "scenarios.0.goal: required field is missing" in _error(
        tmp_path, GOOD.replace("    goal: book a room\n", "")
    )
    assert "unknown embedded tier 'huge'" in _error(
        tmp_path, GOOD.replace("embedded:tiny\n", "embedded:huge\n")
    )


def test_role_without_model(tmp_path: Path) -> None:
    msg = _error(tmp_path, GOOD.replace("  user: embedded:tiny\n", "  usr: embedded:tiny\n"))
    assert "user.model: no model for role 'user'" in msg


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_work_items_are_deterministic_and_distinct() -> None:
    cfg = parse_config(
        {
            "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
            "epochs": 2,
            "profiles": [
                {"kind": "general", "id": "g"},
                {"kind": "persona", "id": "p", "name": "P"},
            ],
            "scenarios": [{"id": "a", "goal": "x"}, {"id": "b", "goal": "y"}],
        }
    )
    ids = [w.id for w in work_items(cfg)]
    assert len(ids) == len(set(ids)) == 8
    assert ids == [w.id for w in work_items(cfg)]
    assert ids[0] == work_item_id("a", "g", 0, 0)


def test_cli_bad_config_exits_2_without_run_dir(tmp_path: Path) -> None:
    _write(tmp_path, GOOD + "stop:\n  max_turn: 3\n")
    result = _cli(["run", "run.yaml", "-o", "out"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("simulacra: error: run.yaml: stop.max_turn")
    assert not (tmp_path / "out").exists()


def test_cli_unreachable_endpoint_exits_2(tmp_path: Path) -> None:
    text = GOOD.replace(
        '  target: {model: "embedded:tiny", temperature: 0.2}',
        '  target: {model: "openai:m", base_url: "http://127.0.0.1:9/v1"}',
    ).replace(
        "  user: embedded:tiny", '  user: {model: "openai:m", base_url: "http://127.0.0.1:9/v1"}'
    )
    _write(tmp_path, text)
    result = _cli(["run", "run.yaml", "-o", "out"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "simulacra: error: run.yaml: models.user: cannot reach http://127.0.0.1:9/v1"
    )
    assert not (tmp_path / "out").exists()


def test_cli_missing_gguf_exits_2(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("  user: embedded:tiny", f"  user: gguf:{tmp_path}/missing.gguf"))
    result = _cli(["run", "run.yaml", "-o", "out"], tmp_path)
    assert result.returncode == 2
    assert "missing.gguf: GGUF file not found" in result.stderr
    assert not (tmp_path / "out").exists()


def test_main_show_on_missing_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["show", str(tmp_path)])
    assert info.value.code == 2
    assert "not a run directory" in capsys.readouterr().err


def test_cache_cli_stats_and_clear(tmp_path: Path) -> None:
    import asyncio

    from simulacra.models import CallCache, Model
    from simulacra.testing import FunctionModelAPI

    path = tmp_path / "c.sqlite"
    cache = CallCache(path)
    model = Model(FunctionModelAPI(lambda m, c: "x", name="fn"), cache=cache)
    from simulacra.models import ChatMessage

    for i in range(3):
        asyncio.run(model.generate([ChatMessage(role="user", content=str(i))]))
    cache.close()
    stats = _cli(["cache", "stats", "--path", str(path)], tmp_path)
    assert stats.returncode == 0 and '"entries": 3' in stats.stdout and '"fn": 3' in stats.stdout
    cleared = _cli(["cache", "clear", "--path", str(path), "--model", "fn"], tmp_path)
    assert cleared.returncode == 0 and "deleted 3 cached calls" in cleared.stdout
    assert '"entries": 0' in _cli(["cache", "stats", "--path", str(path)], tmp_path).stdout
