"""LoRA SFT and DPO on a tiny random Llama, the label mask, the output folder, and the way back
through the transformers provider. Real torch/transformers/peft/trl, tiny shapes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

# The train extra is installed by scripts/test.sh: without it these tests fail, they do not skip.
try:
    import peft  # noqa: F401
    import trl  # noqa: F401
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError(f"{exc}; these tests need: pip install -e '.[train]'") from exc

from simulacra.errors import ConfigError
from simulacra.models import ChatMessage, GenerateConfig, get_model
from simulacra.training._config import load_train_config
from simulacra.training._data import read_sft_jsonl

pytestmark = pytest.mark.train  # trains tiny torch models and loads them back: a real model

DATA = Path(__file__).parent / "data"
SFT = DATA / "sft_small.jsonl"
DPO = DATA / "dpo_small.jsonl"


def _config(tmp: Path, kind: str, **extra: object):  # type: ignore[no-untyped-def]
    settings = {
        "data": str(SFT if kind == "sft" else DPO),
        "output": str(tmp / f"out_{kind}"),
        "max_steps": 6,
        "learning_rate": 1e-2,
        "batch_size": 2,
        "threads": 2,
        **extra,
    }
    return load_train_config(None, settings, kind=kind)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sft_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from simulacra.training._trainers import train_sft

    tmp = tmp_path_factory.mktemp("sft")
    return train_sft(_config(tmp, "sft", eval_data=str(SFT)))


@pytest.fixture(scope="module")
def dpo_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from simulacra.training._trainers import train_dpo

    tmp = tmp_path_factory.mktemp("dpo")
    return train_dpo(_config(tmp, "dpo"))


def test_only_the_simulated_users_turns_are_targets(tmp_path: Path) -> None:
    from simulacra.training._trainers import build_sft_trainer

    trainer, base, _, _ = build_sft_trainer(_config(tmp_path, "sft"), tmp_path)
    conversation = read_sft_jsonl(SFT)[0]
    batch = trainer.data_collator([trainer.train_dataset[0]])
    ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
    targets = base.tokenizer.decode([i for i, lab in zip(ids, labels, strict=True) if lab != -100])
    expected = "".join(
        m["content"] + "<|im_end|>" for m in conversation if m["role"] == "assistant"
    )
    assert targets == expected
    # the system prompt and the system-under-test's replies are context, never targets
    assert conversation[0]["content"] not in targets
    assert conversation[2]["content"] not in targets
    assert all(lab == -100 for lab in labels[:10])


def test_sft_loss_decreases_and_output_is_complete(sft_run) -> None:  # type: ignore[no-untyped-def]
    losses = [s["loss"] for s in sft_run.steps]
    assert len(losses) == 6
    assert losses[-1] < losses[0]
    out = sft_run.output
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json",
                 "training_log.json", "provenance.json", "eval.json", "base/config.json"):  # fmt: skip
        assert (out / name).is_file(), name
    log = json.loads((out / "training_log.json").read_text())
    assert [s["loss"] for s in log["steps"]] == losses
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["base"] == "tiny-random" and prov["data"]["rows"] == 6
    assert len(prov["data"]["sha256"]) == 64 and prov["steps"] == 6
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp dirs left
    assert sft_run.eval_perplexity < sft_run.base_eval_perplexity


def test_adapter_loads_back_through_the_transformers_provider(sft_run) -> None:  # type: ignore[no-untyped-def]
    from simulacra.training._perplexity import user_turn_perplexity

    model = get_model(f"transformers:{sft_run.output}", role="user")
    messages = [ChatMessage(role="system", content="Your goal: a hotel."),
                ChatMessage(role="user", content="Hello, how can I help?")]  # fmt: skip
    cfg = GenerateConfig(max_tokens=8, temperature=0.7, seed=3)
    first = asyncio.run(model.generate(messages, config=cfg))
    again = asyncio.run(model.generate(messages, config=cfg))
    assert first.usage.completion_tokens > 0 and first.text == again.text
    assert model.api.describe()["adapter"] == str(sft_run.output)
    # the loaded adapter scores the data exactly as the trained one did (not the bare base)
    api = model.api
    conversations = read_sft_jsonl(SFT)
    ppl = user_turn_perplexity(api.model, api.tokenizer, conversations, 1024)  # type: ignore[attr-defined]
    assert ppl == pytest.approx(sft_run.eval_perplexity, rel=1e-4)
    assert ppl != pytest.approx(sft_run.base_eval_perplexity, rel=1e-3)


def test_adapter_on_another_base_is_refused(sft_run, dpo_run) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="trained on its own tiny-random base"):
        get_model(f"transformers:{dpo_run.output / 'base'}?adapter={sft_run.output}")
    with pytest.raises(ConfigError, match="not a LoRA adapter folder"):
        get_model(f"transformers:{sft_run.output / 'base'}?adapter={sft_run.output / 'base'}")


def test_dpo_learns_the_preference(dpo_run) -> None:  # type: ignore[no-untyped-def]
    losses = [s["loss"] for s in dpo_run.steps]
    assert losses[0] == pytest.approx(0.6931, abs=1e-3)  # log 2: policy == reference at step 1
    assert losses[-1] < losses[0]
    assert dpo_run.steps[-1]["rewards/margins"] > 0
    assert (dpo_run.output / "adapter_model.safetensors").is_file()
