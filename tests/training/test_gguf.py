"""The numpy GGUF reader/writer, and the way from a LoRA adapter back into llama.cpp: the
embedded SmolLM2 GGUF dequantised into transformers must generate what llama.cpp generates,
and an adapter merged into a GGUF must generate what transformers + PEFT generate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulacra.errors import ConfigError
from simulacra.models._gguf import read_gguf, write_gguf
from simulacra.models._torch_base import rope_permute


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    matrix, vector = rng.normal(size=(6, 32)).astype(np.float32), np.arange(5, dtype=np.float32)
    meta = {"general.architecture": (8, "llama"), "llama.block_count": (4, 2),
            "tokenizer.ggml.tokens": (9, (8, ["a", "b"]))}  # fmt: skip
    path = tmp_path / "m.gguf"
    write_gguf(path, meta, [("w", matrix), ("v", vector)])
    g = read_gguf(path)
    assert g.get("general.architecture") == "llama" and g.get("llama.block_count") == 2
    assert g.get("tokenizer.ggml.tokens") == (8, ["a", "b"])
    assert g.tensors["w"].shape == (6, 32) and g.tensors["w"].type == 1  # F16 matrix
    np.testing.assert_allclose(g.tensor("w"), matrix, atol=2e-3)
    np.testing.assert_array_equal(g.tensor("v"), vector)  # F32 vector, exact


def test_not_gguf_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"GGML0000")
    with pytest.raises(ConfigError, match=r"x.gguf: not a GGUF file"):
        read_gguf(bad)


def test_rope_permutation_round_trips() -> None:
    w = np.arange(12 * 4, dtype=np.float32).reshape(12, 4)
    back = rope_permute(rope_permute(w, 3, inverse=False), 3, inverse=True)
    np.testing.assert_array_equal(back, w)
    assert not np.array_equal(rope_permute(w, 3, inverse=False), w)


@pytest.mark.embedded
def test_merged_adapter_generates_like_transformers_with_peft(
    tiny_gguf: str, tmp_path: Path
) -> None:
    import peft  # noqa: F401  (the train extra: fail, not skip, without it)
    from safetensors.numpy import save_file

    from simulacra.models._transformers import TransformersAPI
    from simulacra.training._export_gguf import export_merged_gguf

    # A hand-made adapter on layers 0-1 attention (Q and K exercise the RoPE row order).
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    rng = np.random.default_rng(1)
    r, tensors = 4, {}
    for layer in (0, 1):
        for proj, out_dim in (("q_proj", 576), ("k_proj", 192), ("v_proj", 192)):
            key = f"base_model.model.model.layers.{layer}.self_attn.{proj}"
            tensors[f"{key}.lora_A.weight"] = rng.normal(0, 0.05, (r, 576)).astype(np.float32)
            tensors[f"{key}.lora_B.weight"] = rng.normal(0, 0.05, (out_dim, r)).astype(np.float32)
    save_file(tensors, str(adapter / "adapter_model.safetensors"))
    (adapter / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": r, "lora_alpha": 8, "target_modules": ["q_proj", "k_proj", "v_proj"],
        "task_type": "CAUSAL_LM", "base_model_name_or_path": None, "lora_dropout": 0.0,
        "bias": "none", "fan_in_fan_out": False, "inference_mode": True,
    }))  # fmt: skip
    (adapter / "provenance.json").write_text(json.dumps({"base": "embedded:tiny"}))

    out = tmp_path / "merged.gguf"
    export_merged_gguf(adapter, out)
    merged, original = read_gguf(out), read_gguf(tiny_gguf)
    delta = (
        2.0
        * tensors["base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight"]
        @ tensors["base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight"]
    )
    expected = original.tensor("blk.0.attn_k.weight") + rope_permute(delta, 3, inverse=False)
    np.testing.assert_allclose(merged.tensor("blk.0.attn_k.weight"), expected, atol=2e-3)
    assert merged.get("tokenizer.chat_template") == original.get("tokenizer.chat_template")

    # Next-token logits: llama.cpp on the merged file vs transformers + PEFT on base + adapter.
    # (Greedy text is not compared: F16 weights flip near-ties a few tokens in.)
    import llama_cpp
    import torch

    prompt = "<|im_start|>user\nName three colours.<|im_end|>\n<|im_start|>assistant\n"
    hf = TransformersAPI("embedded:tiny", adapter=adapter, n_threads=2)
    ids = hf.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        peft_logits = hf.model(input_ids=torch.tensor([ids])).logits[0, -1].numpy()

    def llama_logits(path: str) -> np.ndarray:
        llm = llama_cpp.Llama(
            model_path=path, n_ctx=128, n_threads=2, logits_all=True, verbose=False
        )
        try:
            llm.eval(llm.tokenize(prompt.encode(), add_bos=False, special=True))
            return np.array(llm.scores[llm.n_tokens - 1])
        finally:
            llm.close()

    merged_logits, base_logits = llama_logits(str(out)), llama_logits(tiny_gguf)
    assert np.abs(base_logits - peft_logits).max() > 0.5  # the adapter matters...
    assert np.abs(merged_logits - peft_logits).max() < 0.15  # ...and survives the merge
    assert int(merged_logits.argmax()) == int(peft_logits.argmax())
