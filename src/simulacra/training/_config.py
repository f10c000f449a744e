"""Training configs (YAML or CLI flags), validated into one-line errors before anything loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulacra._validation import read_yaml, summarise
from simulacra.errors import ConfigError

__all__ = ["LoraSettings", "TrainConfig", "load_train_config"]


class LoraSettings(BaseModel):
    """LoRA adapter shape (PEFT ``LoraConfig``).

    Attributes:
        r: Rank of the update matrices.
        alpha: Scaling numerator (the update is scaled by ``alpha / r``).
        dropout: Dropout on the adapter input.
        targets: Module names to adapt (Llama names by default: every projection).
    """

    model_config = ConfigDict(extra="forbid")

    r: int = Field(default=8, gt=0)
    alpha: float = Field(default=16.0, gt=0)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    targets: list[str] = Field(
        default_factory=lambda: [
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ],
        min_length=1,
    )


class TrainConfig(BaseModel):
    """One fine-tuning job (``simulacra train sft|dpo``).

    Relative paths are relative to the config file's folder.

    Attributes:
        base: ``tiny-random``, ``embedded:<tier>``, ``gguf:PATH`` or a transformers model folder.
        data: Training JSONL (SFT: ``messages`` rows; DPO: ``prompt``/``chosen``/``rejected``).
        eval_data: Held-out JSONL of the same format; its perplexity (SFT) is reported.
        output: Output folder (written atomically: nothing appears until training succeeded).
        overwrite: Replace an existing output folder.
        lora: Adapter shape.
        learning_rate: Peak learning rate (linear decay).
        epochs: Passes over the data (ignored when ``max_steps`` is set).
        max_steps: Stop after this many optimizer steps.
        batch_size: Examples per step (per device).
        grad_accum: Gradient accumulation steps.
        max_length: Truncate examples to this many tokens.
        max_examples: Use at most this many training rows (the first ones).
        seed: Seed of initialisation, shuffling and dropout.
        threads: torch CPU threads (default: torch's choice).
        beta: DPO temperature (DPO only).
    """

    model_config = ConfigDict(extra="forbid")

    base: str = "tiny-random"
    data: Path
    eval_data: Path | None = None
    output: Path
    overwrite: bool = False
    lora: LoraSettings = Field(default_factory=LoraSettings)
    learning_rate: float = Field(default=2e-4, gt=0)
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int | None = Field(default=None, gt=0)
    batch_size: int = Field(default=2, gt=0)
    grad_accum: int = Field(default=1, gt=0)
    max_length: int = Field(default=1024, gt=8)
    max_examples: int | None = Field(default=None, gt=0)
    seed: int = 0
    threads: int | None = Field(default=None, gt=0)
    beta: float = Field(default=0.1, gt=0)
    kind: Literal["sft", "dpo"] | None = None

    def resolved(self, root: Path) -> TrainConfig:
        """A copy with paths made absolute against ``root``."""

        def fix(p: Path | None) -> Path | None:
            return None if p is None or p.is_absolute() else root / p

        update: dict[str, Any] = {
            k: fix(getattr(self, k))
            for k in ("data", "eval_data", "output")
            if fix(getattr(self, k)) is not None
        }
        base = Path(self.base).expanduser()
        if ":" not in self.base and self.base != "tiny-random" and not base.is_absolute():
            update["base"] = str(root / base)
        return self.model_copy(update=update)


def load_train_config(
    path: Path | None, overrides: dict[str, Any], *, kind: Literal["sft", "dpo"]
) -> TrainConfig:
    """Read a YAML config (optional) and apply CLI overrides (``None`` values ignored).

    Raises:
        ConfigError: One line naming the file and field.
    """
    raw: Any = {}
    where = "command line"
    if path is not None:
        raw = read_yaml(path)
        where = str(path)
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of training settings")
    merged = {**raw, **{k: v for k, v in overrides.items() if v is not None}}
    if merged.get("kind") not in (None, kind):
        raise ConfigError(f"{where}: kind: this is a {merged['kind']!r} config, not {kind!r}")
    for required in ("data", "output"):
        if required not in merged:
            raise ConfigError(
                f"{where}: {required}: required (set it in the config or --{required})"
            )
    try:
        config = TrainConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {summarise(exc, model=TrainConfig)}") from None
    root = path.parent if path is not None else Path.cwd()
    return config.resolved(root.resolve()).model_copy(update={"kind": kind})
