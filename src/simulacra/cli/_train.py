"""``simulacra train sft|dpo|export|curriculum``: fine-tune a simulated user with LoRA and take
it back to llama.cpp. Configs are validated before any model loads; bad input is one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import click

from simulacra.cli._paths import OutputPath

__all__ = ["train_command"]


@click.group("train")
def train_command() -> None:
    """Fine-tune simulated users (LoRA SFT / DPO) and export them (needs the 'train' extra)."""


def _options(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.argument("config", required=False, type=click.Path(path_type=Path)),
            click.option("--base", help="tiny-random, embedded:<tier>, gguf:PATH or a model dir."),
            click.option("--data", type=click.Path(path_type=Path), help="Training JSONL."),
            click.option("--eval-data", type=click.Path(path_type=Path), help="Held-out JSONL."),
            click.option("-o", "--output", type=OutputPath("either"), help="Output dir."),
            click.option("--max-steps", type=int),
            click.option("--epochs", type=float),
            click.option("--lr", "learning_rate", type=float),
            click.option("--batch-size", type=int),
            click.option("--max-examples", type=int),
            click.option("--seed", type=int),
            click.option("--threads", type=int, help="torch CPU threads."),
            click.option("--overwrite", is_flag=True, default=None, help="Replace OUTPUT."),
        ]
    ):
        f = option(f)
    return f


def _train(kind: Literal["sft", "dpo"], config: Path | None, overrides: dict[str, Any]) -> None:
    from simulacra.models._torch_base import import_torch
    from simulacra.training._config import load_train_config

    cfg = load_train_config(config, overrides, kind=kind)
    import_torch()
    from simulacra.training._trainers import train_dpo, train_sft

    result = (train_sft if kind == "sft" else train_dpo)(cfg)
    losses = [s["loss"] for s in result.steps]
    click.echo(
        f"{result.output}: {kind} on {result.n_train} rows, {len(losses)} steps in "
        f"{result.seconds:.0f}s; loss {losses[0]:.3f} -> {losses[-1]:.3f}"
        if losses
        else f"{result.output}: no steps"
    )
    if result.eval_perplexity is not None:
        click.echo(
            f"  held-out user-turn perplexity: base {result.base_eval_perplexity:.2f}, "
            f"trained {result.eval_perplexity:.2f}"
        )


@train_command.command("sft")
@_options
def sft_command(config: Path | None, **overrides: Any) -> None:
    """LoRA SFT on the simulated user's turns (assistant role) of chat JSONL."""
    _train("sft", config, overrides)


@train_command.command("dpo")
@_options
def dpo_command(config: Path | None, **overrides: Any) -> None:
    """LoRA DPO on preference pairs (prompt / chosen / rejected JSONL)."""
    _train("dpo", config, overrides)


@train_command.command("export")
@click.argument("adapter", type=click.Path(path_type=Path))
@click.option("--gguf", "out", required=True, type=click.Path(path_type=Path), help="Output GGUF.")
@click.option("--f32", is_flag=True, help="Store matrices as F32 instead of F16.")
def export_command(adapter: Path, out: Path, f32: bool) -> None:
    """Merge a LoRA adapter into its GGUF base and write a GGUF for the embedded runtime."""
    from simulacra.training._export_gguf import export_merged_gguf

    size = export_merged_gguf(adapter, out, f16=not f32)
    click.echo(f"{out}: merged GGUF ({size / 1e6:.0f} MB); use it as model: gguf:{out}")
