"""``simulacra train export``: merge a LoRA adapter into its GGUF base and write a GGUF that the
embedded llama.cpp runtime loads as ``gguf:PATH``.

The merge is done in numpy on the dequantised GGUF tensors (no torch needed):
``W' = W + scale * B @ A`` with PEFT's ``scale = alpha / r`` (``alpha / sqrt(r)`` with rsLoRA),
the Q/K deltas permuted back into llama.cpp's RoPE row order. Metadata (tokenizer, chat
template, hyper-parameters) is copied from the base. Matrices are stored as F16 (llama.cpp
re-quantisation is left to its own ``llama-quantize`` tool), so the file is about twice the
parameter count in bytes. Only adapters whose base is a llama-architecture GGUF
(``embedded:<tier>`` / ``gguf:PATH``) can be exported this way.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.errors import ConfigError
from simulacra.models._gguf import read_gguf, write_gguf
from simulacra.models._torch_base import name_map, resolve_base_path, rope_permute

__all__ = ["export_merged_gguf", "lora_deltas"]


def _adapter_config(adapter: Path) -> dict[str, Any]:
    try:
        cfg = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{adapter}: not a LoRA adapter folder (no adapter_config.json)"
        ) from None
    if cfg.get("peft_type") != "LORA":
        raise ConfigError(f"{adapter}: peft_type {cfg.get('peft_type')!r} is not LORA")
    if cfg.get("rank_pattern") or cfg.get("alpha_pattern") or cfg.get("fan_in_fan_out"):
        raise ConfigError(f"{adapter}: per-module rank/alpha patterns are not supported")
    return dict(cfg)


def lora_deltas(adapter: Path) -> dict[str, np.ndarray[Any, Any]]:
    """``{transformers weight name: scale * B @ A}`` of every adapted module."""
    from safetensors.numpy import load_file

    cfg = _adapter_config(adapter)
    r, alpha = int(cfg["r"]), float(cfg["lora_alpha"])
    scale = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
    weights = load_file(str(adapter / "adapter_model.safetensors"))
    deltas: dict[str, np.ndarray[Any, Any]] = {}
    for key, a in weights.items():
        if ".lora_A." not in key:
            continue
        b = weights[key.replace(".lora_A.", ".lora_B.")]
        module = key.split(".lora_A.")[0].removeprefix("base_model.model.")
        deltas[f"{module}.weight"] = scale * (b.astype(np.float32) @ a.astype(np.float32))
    if not deltas:
        raise ConfigError(f"{adapter}: the adapter holds no LoRA weights")
    return deltas


def export_merged_gguf(adapter: Path, out: Path, *, f16: bool = True) -> int:
    """Write ``out``: the adapter's GGUF base with the LoRA merged in. Returns the file size.

    Raises:
        ConfigError: If the adapter is not a LoRA folder, its base is not a GGUF, or a shape
            does not match the base.
    """
    prov_path = adapter / "provenance.json"
    try:
        base_spec = str(json.loads(prov_path.read_text(encoding="utf-8"))["base"])
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        raise ConfigError(f"{prov_path}: missing or without 'base'") from None
    gguf_path = resolve_base_path(base_spec)
    if gguf_path is None:
        raise ConfigError(
            f"{adapter}: base {base_spec!r} is not a GGUF; export needs an adapter trained on "
            "embedded:<tier> or gguf:PATH"
        )
    deltas = lora_deltas(adapter)
    gguf = read_gguf(gguf_path)
    n_layers = int(gguf.get("llama.block_count"))
    n_head = int(gguf.get("llama.attention.head_count"))
    n_kv = int(gguf.get("llama.attention.head_count_kv", n_head))
    to_hf = name_map(n_layers)
    unused = set(deltas)

    def merged() -> Any:
        for name, array in gguf.iter_tensors():
            hf = to_hf.get(name)
            if hf in deltas:
                delta = deltas[hf]
                if delta.shape != array.shape:
                    raise ConfigError(
                        f"{adapter}: {hf} has shape {delta.shape}, base has {array.shape}"
                    )
                if ".attn_q." in name:
                    delta = rope_permute(delta, n_head, inverse=False)
                elif ".attn_k." in name:
                    delta = rope_permute(delta, n_kv, inverse=False)
                array = array + delta
                unused.discard(hf)
            yield name, array

    metadata = dict(gguf.metadata)
    metadata.pop("general.alignment", None)
    kind, value = metadata.get("general.name", (8, "model"))
    metadata["general.name"] = (kind, f"{value} + LoRA {adapter.name}")
    metadata["general.file_type"] = (4, 1 if f16 else 0)  # uint32: MOSTLY_F16 / ALL_F32
    tensors = list(merged())
    if unused:
        raise ConfigError(f"{adapter}: adapter weights for modules not in the base: {min(unused)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_gguf(out, metadata, tensors, f16=f16)
    return out.stat().st_size
