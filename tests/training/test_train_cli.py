"""Bad training input is one line and exit 2, checked before any model loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.cli import main
from tests._cli import run_cli

DATA = Path(__file__).parent / "data"


def _fail(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["train", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("simulacra: error: ") and "\n" not in err
    return err


def test_missing_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fail(["sft", "--data", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o")], capsys)
    assert "nope.jsonl: data file not found" in err


def test_wrong_format_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    rows = [json.loads(line) for line in (DATA / "sft_small.jsonl").read_text().splitlines()]
    bad.write_text(json.dumps(rows[0]) + "\n" + json.dumps({"text": "hi"}) + "\n")
    err = _fail(["sft", "--data", str(bad), "-o", str(tmp_path / "o")], capsys)
    assert "bad.jsonl: line 2: expected an SFT row with 'messages'" in err
    # a DPO file given to SFT (and the reverse) is caught on line 1
    err = _fail(["sft", "--data", str(DATA / "dpo_small.jsonl"), "-o", str(tmp_path / "o")], capsys)
    assert "line 1" in err
    err = _fail(["dpo", "--data", str(DATA / "sft_small.jsonl"), "-o", str(tmp_path / "o")], capsys)
    assert "line 1: expected a DPO row" in err


def test_too_little_data_for_the_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sft", "--data", str(DATA / "sft_small.jsonl"), "-o", str(tmp_path / "o")]
    err = _fail([*args, "--batch-size", "8"], capsys)
    assert "6 training rows, fewer than one step needs" in err
    assert not (tmp_path / "o").exists()


def test_config_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "train.yaml"
    cfg.write_text(f"data: {DATA / 'sft_small.jsonl'}\noutput: out\nlearning_rat: 0.1\n")
    err = _fail(["sft", str(cfg)], capsys)
    assert "train.yaml: learning_rat: unknown key (did you mean 'learning_rate'?)" in err
    cfg.write_text(f"data: {DATA / 'sft_small.jsonl'}\noutput: out\nlora: {{r: 0}}\n")
    assert "lora.r" in _fail(["sft", str(cfg)], capsys)
    (tmp_path / "out").mkdir()
    cfg.write_text(f"data: {DATA / 'sft_small.jsonl'}\noutput: out\n")
    assert "output folder exists" in _fail(["sft", str(cfg)], capsys)


def test_unknown_lora_target_and_real_exit_code(tmp_path: Path) -> None:
    import trl  # noqa: F401  (the train extra: fail, not skip, without it)

    cfg = tmp_path / "train.yaml"
    cfg.write_text(
        f"data: {DATA / 'sft_small.jsonl'}\noutput: out\nlora: {{targets: [qkv_proj]}}\nmax_steps: 1\n"
    )
    proc = run_cli(["train", "sft", str(cfg)], cwd=tmp_path, timeout=300)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith("simulacra: error: lora.targets: qkv_proj not found in base 'tiny-random'")
    )
    assert not (tmp_path / "out").exists()


def test_missing_train_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from simulacra.errors import MissingExtraError
    from simulacra.models._torch_base import import_torch

    monkeypatch.setitem(sys.modules, "peft", None)  # import peft -> ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'simulacra\[train\]'"):
        import_torch()


def test_transformers_spec_parsing(tmp_path: Path) -> None:
    from simulacra.errors import ConfigError
    from simulacra.models import parse_model_spec
    from simulacra.models._transformers import parse_transformers_target

    assert parse_model_spec("transformers:some/dir").model == "transformers:some/dir"
    assert parse_transformers_target("embedded:tiny?adapter=a/b") == ("embedded:tiny", Path("a/b"))
    with pytest.raises(ConfigError, match="unknown option 'lora'"):
        parse_transformers_target("embedded:tiny?lora=x")
    adapter = tmp_path / "ad"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"no provenance\.json naming its base"):
        parse_transformers_target(str(adapter))
    (adapter / "provenance.json").write_text(json.dumps({"base": "embedded:tiny"}))
    assert parse_transformers_target(str(adapter)) == ("embedded:tiny", adapter)
