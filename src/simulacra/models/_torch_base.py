"""Base models in torch, for the ``transformers:`` provider and for fine-tuning, all offline: a
tiny random model, the embedded GGUF family, or a local Hugging Face directory.

``base`` values:

- ``tiny-random`` — a 2-layer Llama (hidden 64) with a byte-level BPE tokenizer trained on the
  training text itself: seconds to train, for tests and smoke runs;
- ``embedded:<tier>`` / ``gguf:PATH`` — a llama-architecture GGUF dequantised into a
  transformers ``LlamaForCausalLM`` with its own tokenizer (e.g. ``embedded:tiny`` is
  SmolLM2-135M-Instruct, the family the simulator already runs in llama.cpp);
- ``PATH`` — a directory with a transformers model and tokenizer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.errors import ConfigError, MissingExtraError
from simulacra.models._catalogue import CATALOGUE, file_sha256, resolve_gguf
from simulacra.models._gguf import GGUFFile, read_gguf

__all__ = [
    "CHATML_TRAINING_TEMPLATE",
    "BaseModel",
    "import_torch",
    "load_base",
    "resolve_base_path",
]

CHATML_TRAINING_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{{ '<|im_start|>assistant\\n' }}"
    "{%- generation -%}{{ message['content'] + '<|im_end|>' }}{%- endgeneration -%}"
    "{{ '\\n' }}"
    "{%- else -%}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)
"""ChatML (the embedded family's format) with ``{% generation %}`` markers around each
assistant turn and its ``<|im_end|>``: TRL masks the loss to exactly those tokens, so the model
also learns when to stop."""

_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def import_torch() -> Any:
    """Import torch, transformers and peft, or raise :class:`MissingExtraError` (``[train]``)."""
    try:
        import peft  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("train", "fine-tuning and the transformers provider") from exc
    return torch


@dataclass
class BaseModel:
    """A loaded base model and what identifies it in provenance files."""

    model: Any
    tokenizer: Any
    spec: str
    facts: dict[str, Any] = field(default_factory=dict)


def resolve_base_path(spec: str) -> Path | None:
    """The GGUF file behind ``embedded:<tier>`` / ``gguf:PATH`` (``None`` for other specs)."""
    if spec.startswith("embedded:"):
        tier = spec.partition(":")[2]
        if tier not in CATALOGUE:
            known = ", ".join(CATALOGUE)
            raise ConfigError(f"base {spec!r}: unknown embedded tier (known: {known})")
        return resolve_gguf(CATALOGUE[tier])
    if spec.startswith("gguf:"):
        path = Path(spec.partition(":")[2]).expanduser()
        if not path.is_file():
            raise ConfigError(f"base {spec!r}: GGUF file not found")
        return path
    return None


def load_base(
    spec: str, *, texts: Iterable[str] = (), seed: int = 0, dtype: str = "float32"
) -> BaseModel:
    """Load a base model and tokenizer (``texts`` train the ``tiny-random`` tokenizer).

    Raises:
        ConfigError: If the spec names nothing loadable, or the GGUF is not llama-architecture.
        MissingExtraError: If torch/transformers/peft are not installed.
    """
    torch = import_torch()
    if spec == "tiny-random":
        return _tiny_random(list(texts), seed)
    gguf_path = resolve_base_path(spec)
    if gguf_path is not None:
        model, tokenizer = gguf_to_transformers(read_gguf(gguf_path), getattr(torch, dtype))
        facts = {"gguf": str(gguf_path), "sha256": file_sha256(gguf_path)}
        return BaseModel(model, tokenizer, spec, facts)
    path = Path(spec).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"base {spec!r}: expected 'tiny-random', 'embedded:<tier>', 'gguf:<path>' or a "
            "transformers model directory (with config.json)"
        )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model, info = AutoModelForCausalLM.from_pretrained(
        path, local_files_only=True, dtype=dtype, output_loading_info=True
    )
    missing = sorted(info.get("missing_keys") or [])
    if missing:
        raise ConfigError(f"base {spec!r}: weights missing from the checkpoint ({missing[0]}, ...)")
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return BaseModel(model, tokenizer, str(path.resolve()), {"path": str(path.resolve())})


def _chatml_tokenizer(tok: Any, *, eos: str = "<|im_end|>", pad: str = "<|endoftext|>") -> Any:
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token=eos, pad_token=pad,
        unk_token=None, model_max_length=2048,
    )  # fmt: skip
    tokenizer.chat_template = CHATML_TRAINING_TEMPLATE
    return tokenizer


def _tiny_random(texts: list[str], seed: int) -> BaseModel:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM

    if not texts:
        raise ConfigError("base 'tiny-random' needs training text to build its tokenizer")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=list(_SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    tokenizer = _chatml_tokenizer(tok)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=64, intermediate_size=128,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=2048, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    model = LlamaForCausalLM(config)
    return BaseModel(model, tokenizer, "tiny-random", {"seed": seed})


def gguf_tokenizer(gguf: GGUFFile) -> Any:
    """The GPT-2-style byte-level BPE tokenizer stored in a GGUF, as a transformers tokenizer."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    if gguf.get("tokenizer.ggml.model") != "gpt2":
        raise ConfigError(f"{gguf.path}: only byte-level BPE ('gpt2') GGUF tokenizers work here")
    tokens: list[str] = gguf.get("tokenizer.ggml.tokens")[1]
    kinds: list[int] = gguf.get("tokenizer.ggml.token_type")[1]
    merges = [tuple(m.split(" ", 1)) for m in gguf.get("tokenizer.ggml.merges")[1]]
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    # SmolLM's pre-tokenizer ("smollm" in llama.cpp): single digits, then GPT-2 byte-level.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    # Token type 3 is "control" in llama.cpp: special tokens never split by BPE.
    controls = [t for t, k in zip(tokens, kinds, strict=True) if k == 3]
    tok.add_special_tokens([AddedToken(t, special=True) for t in controls])
    eos = tokens[gguf.get("tokenizer.ggml.eos_token_id", 2)]
    pad = tokens[gguf.get("tokenizer.ggml.padding_token_id", 0)]
    if "<|im_end|>" not in tokens:
        raise ConfigError(f"{gguf.path}: the tokenizer has no ChatML tokens (<|im_end|>)")
    return _chatml_tokenizer(tok, eos=eos, pad=pad if pad != eos else "<|endoftext|>")


# GGUF tensor name -> transformers Llama name ("{i}" is the layer).
_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
    "blk.{i}.attn_norm.weight": "model.layers.{i}.input_layernorm.weight",
    "blk.{i}.ffn_norm.weight": "model.layers.{i}.post_attention_layernorm.weight",
    "blk.{i}.attn_q.weight": "model.layers.{i}.self_attn.q_proj.weight",
    "blk.{i}.attn_k.weight": "model.layers.{i}.self_attn.k_proj.weight",
    "blk.{i}.attn_v.weight": "model.layers.{i}.self_attn.v_proj.weight",
    "blk.{i}.attn_output.weight": "model.layers.{i}.self_attn.o_proj.weight",
    "blk.{i}.ffn_gate.weight": "model.layers.{i}.mlp.gate_proj.weight",
    "blk.{i}.ffn_up.weight": "model.layers.{i}.mlp.up_proj.weight",
    "blk.{i}.ffn_down.weight": "model.layers.{i}.mlp.down_proj.weight",
}


def rope_permute(w: np.ndarray[Any, Any], n_head: int, *, inverse: bool) -> np.ndarray[Any, Any]:
    """llama.cpp stores Q/K rows interleaved for its RoPE; transformers keeps halves. This maps
    GGUF order to transformers order (``inverse=True``) or back."""
    half = w.shape[0] // n_head // 2
    if inverse:
        return w.reshape(n_head, half, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)
    return w.reshape(n_head, 2, half, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def name_map(n_layers: int) -> dict[str, str]:
    """GGUF tensor names -> transformers names for a Llama with ``n_layers`` blocks."""
    out: dict[str, str] = {}
    for gguf_name, hf_name in _NAMES.items():
        if "{i}" in gguf_name:
            for i in range(n_layers):
                out[gguf_name.format(i=i)] = hf_name.format(i=i)
        else:
            out[gguf_name] = hf_name
    return out


def gguf_to_transformers(gguf: GGUFFile, dtype: Any) -> tuple[Any, Any]:
    """Dequantise a llama-architecture GGUF into a ``LlamaForCausalLM`` and its tokenizer."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    arch = gguf.get("general.architecture")
    if arch != "llama":
        raise ConfigError(f"{gguf.path}: architecture {arch!r} is not supported (llama only)")
    n_layers = int(gguf.get("llama.block_count"))
    n_head = int(gguf.get("llama.attention.head_count"))
    n_kv = int(gguf.get("llama.attention.head_count_kv", n_head))
    tokenizer = gguf_tokenizer(gguf)
    vocab = int(gguf.get("llama.vocab_size", len(gguf.get("tokenizer.ggml.tokens")[1])))
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=int(gguf.get("llama.embedding_length")),
        intermediate_size=int(gguf.get("llama.feed_forward_length")),
        num_hidden_layers=n_layers,
        num_attention_heads=n_head,
        num_key_value_heads=n_kv,
        max_position_embeddings=int(gguf.get("llama.context_length", 2048)),
        rms_norm_eps=float(gguf.get("llama.attention.layer_norm_rms_epsilon", 1e-5)),
        rope_theta=float(gguf.get("llama.rope.freq_base", 10000.0)),
        tie_word_embeddings="output.weight" not in gguf.tensors,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.device("meta"):
        model = LlamaForCausalLM(config)
    names = name_map(n_layers)
    state: dict[str, Any] = {}
    for gguf_name, array in gguf.iter_tensors():
        if gguf_name not in names:
            continue
        if ".attn_q." in gguf_name:
            array = rope_permute(array, n_head, inverse=True)
        elif ".attn_k." in gguf_name:
            array = rope_permute(array, n_kv, inverse=True)
        state[names[gguf_name]] = torch.from_numpy(np.ascontiguousarray(array)).to(dtype)
    if config.tie_word_embeddings:
        state["lm_head.weight"] = state["model.embed_tokens.weight"]
    model.load_state_dict(state, strict=True, assign=True)
    model.tie_weights()
    model.eval()
    # rotary buffers were built on the meta device: rebuild them on the CPU.
    model.model.rotary_emb = type(model.model.rotary_emb)(config=config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def base_facts_json(base: BaseModel) -> str:
    """``base`` and its facts as JSON (for provenance files)."""
    return json.dumps({"base": base.spec, **base.facts}, sort_keys=True)
