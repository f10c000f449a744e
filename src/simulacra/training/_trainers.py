"""LoRA fine-tuning of a simulated user with TRL: SFT on the user's turns, DPO on preference
pairs. Both write the same output folder: adapter, tokenizer, loss log, provenance."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra._atomic import write_json_atomic
from simulacra.errors import ConfigError
from simulacra.models._torch_base import BaseModel, load_base
from simulacra.training._config import TrainConfig
from simulacra.training._data import check_enough, file_digest, read_dpo_jsonl, read_sft_jsonl
from simulacra.training._output import (
    PROVENANCE,
    TRAINING_LOG,
    atomic_output_dir,
    environment_facts,
)
from simulacra.training._perplexity import user_turn_perplexity

__all__ = ["TrainResult", "build_sft_trainer", "train_dpo", "train_sft"]

_SCRATCH = ".trainer"
BASE_DIR = "base"
"""Subfolder holding the base model itself when it cannot be rebuilt from its name
(``tiny-random``: its tokenizer is trained on the data)."""


@dataclass
class TrainResult:
    """What a finished job reports."""

    output: Path
    steps: list[dict[str, float]]
    seconds: float
    n_train: int
    eval_perplexity: float | None = None
    base_eval_perplexity: float | None = None


def _lora(config: TrainConfig) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora.r,
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        target_modules=list(config.lora.targets),
        task_type="CAUSAL_LM",
    )


def _common_args(config: TrainConfig, out: Path) -> dict[str, Any]:
    return {
        "output_dir": str(out / _SCRATCH),
        "learning_rate": config.learning_rate,
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps or -1,
        "per_device_train_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "max_length": config.max_length,
        "seed": config.seed,
        "data_seed": config.seed,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        "use_cpu": True,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "lr_scheduler_type": "linear",
        "warmup_steps": 0,
        # TRL turns activation checkpointing on by default: on small CPU models it only costs.
        "activation_checkpointing": False,
    }


def _quiet(trainer: Any) -> Any:
    """Drop the callback that prints every log dict (we keep the losses ourselves)."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    return trainer


def _quiet_libraries() -> None:
    import transformers

    import datasets

    datasets.disable_progress_bars()
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


class _LossLog:
    """Collects every logged loss (a TrainerCallback built lazily: transformers is optional)."""

    def __init__(self) -> None:
        from transformers import TrainerCallback

        steps: list[dict[str, float]] = []
        self.steps = steps

        class _Callback(TrainerCallback):  # type: ignore[misc]
            def on_log(
                self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any
            ) -> None:
                if logs and "loss" in logs:
                    row = {"step": state.global_step, "loss": float(logs["loss"])}
                    for key in (
                        "learning_rate",
                        "grad_norm",
                        "rewards/accuracies",
                        "rewards/margins",
                    ):
                        if key in logs:
                            row[key] = float(logs[key])
                    steps.append(row)

        self.callback = _Callback()


def _check_targets(base: BaseModel, config: TrainConfig) -> None:
    names = {n.rsplit(".", 1)[-1] for n, _ in base.model.named_modules()}
    unknown = [t for t in config.lora.targets if t not in names]
    if unknown:
        raise ConfigError(
            f"lora.targets: {', '.join(unknown)} not found in base {base.spec!r} "
            f"(modules: {', '.join(sorted(n for n in names if n.endswith('proj')))})"
        )


def _load(config: TrainConfig, texts: list[str], out: Path) -> BaseModel:
    if config.threads:
        import torch

        torch.set_num_threads(config.threads)
    _quiet_libraries()
    base = load_base(config.base, texts=texts, seed=config.seed)
    _check_targets(base, config)
    if base.spec == "tiny-random":
        # Saved before PEFT wraps its layers in place: the adapter's base travels with it.
        base.model.save_pretrained(out / BASE_DIR)
        base.tokenizer.save_pretrained(out / BASE_DIR)
    return base


def build_sft_trainer(config: TrainConfig, out: Path) -> tuple[Any, BaseModel, _LossLog, int]:
    """The TRL ``SFTTrainer`` for a config (training not started): LoRA on the base, loss on
    the assistant turns only (``assistant_only_loss``; the chat template marks them)."""
    from trl import SFTConfig, SFTTrainer

    from datasets import Dataset

    rows = read_sft_jsonl(config.data, limit=config.max_examples)
    check_enough(config.data, len(rows), config.batch_size, config.grad_accum)
    base = _load(config, [m["content"] for row in rows for m in row], out)
    log = _LossLog()
    _quiet_libraries()
    args = SFTConfig(**_common_args(config, out), assistant_only_loss=True, packing=False)
    _quiet_libraries()
    trainer = SFTTrainer(
        model=base.model,
        args=args,
        train_dataset=Dataset.from_list([{"messages": r} for r in rows]),
        processing_class=base.tokenizer,
        peft_config=_lora(config),
        callbacks=[log.callback],
    )
    return _quiet(trainer), base, log, len(rows)


def _finish(
    trainer: Any, base: BaseModel, log: _LossLog, config: TrainConfig, out: Path, n: int, t0: float
) -> TrainResult:
    import shutil

    shutil.rmtree(out / _SCRATCH, ignore_errors=True)
    trainer.model.save_pretrained(out)
    base.tokenizer.save_pretrained(out)
    seconds = time.perf_counter() - t0
    write_json_atomic(out / TRAINING_LOG, {"steps": log.steps, "seconds": round(seconds, 1)})
    provenance = {
        "kind": config.kind,
        "base": base.spec,
        "base_facts": base.facts,
        "base_dir": BASE_DIR if base.spec == "tiny-random" else None,
        "data": {"path": str(config.data), "sha256": file_digest(config.data), "rows": n},
        "config": config.model_dump(mode="json"),
        "steps": trainer.state.global_step,
        "final_loss": log.steps[-1]["loss"] if log.steps else None,
        "seconds": round(seconds, 1),
        **environment_facts(),
    }
    write_json_atomic(out / PROVENANCE, provenance)
    return TrainResult(out, log.steps, seconds, n)


def train_sft(config: TrainConfig) -> TrainResult:
    """Fine-tune a LoRA adapter on the simulated user's turns; write ``config.output``."""
    t0 = time.perf_counter()
    with atomic_output_dir(config.output, overwrite=config.overwrite) as out:
        trainer, base, log, n = build_sft_trainer(config, out)
        trainer.train()
        result = _finish(trainer, base, log, config, out, n, t0)
        if config.eval_data is not None:
            held_out = read_sft_jsonl(config.eval_data)
            model = trainer.model.eval()
            ppl = user_turn_perplexity(model, base.tokenizer, held_out, config.max_length)
            with model.disable_adapter():
                base_ppl = user_turn_perplexity(model, base.tokenizer, held_out, config.max_length)
            result.eval_perplexity, result.base_eval_perplexity = ppl, base_ppl
            facts = {"rows": len(held_out), "data": str(config.eval_data)}
            write_json_atomic(
                out / "eval.json", {"perplexity": ppl, "base_perplexity": base_ppl, **facts}
            )
    result.output = config.output
    return result


def train_dpo(config: TrainConfig) -> TrainResult:
    """Fine-tune a LoRA adapter with DPO on preference pairs (the reference model is the base
    with the adapter disabled); write ``config.output``."""
    from trl import DPOConfig, DPOTrainer

    from datasets import Dataset

    t0 = time.perf_counter()
    pairs = read_dpo_jsonl(config.data, limit=config.max_examples)
    check_enough(config.data, len(pairs), config.batch_size, config.grad_accum)
    with atomic_output_dir(config.output, overwrite=config.overwrite) as out:
        texts = [m["content"] for p in pairs for ms in p.values() for m in ms]
        base = _load(config, texts, out)
        log = _LossLog()
        _quiet_libraries()
        args = DPOConfig(**_common_args(config, out), beta=config.beta)
        _quiet_libraries()
        trainer = DPOTrainer(
            model=base.model,
            args=args,
            train_dataset=Dataset.from_list(pairs),
            processing_class=base.tokenizer,
            peft_config=_lora(config),
            callbacks=[log.callback],
        )
        _quiet(trainer).train()
        result = _finish(trainer, base, log, config, out, len(pairs), t0)
    result.output = config.output
    return result
