"""A transformers (PyTorch) model, optionally with a LoRA adapter, as a simulator backend.

This is the way back from ``simulacra train`` into simulation runs: a run config names
``transformers:ADAPTER_DIR`` (the base is read from the adapter's provenance) or
``transformers:BASE?adapter=ADAPTER_DIR`` where ``BASE`` is ``embedded:<tier>``,
``gguf:PATH``, ``tiny-random``-trained ``ADAPTER_DIR/base`` or a transformers model folder.
Everything loads lazily; without torch/transformers/peft it raises
:class:`~simulacra.errors.MissingExtraError` naming the ``train`` extra.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from simulacra.errors import ConfigError, ModelError
from simulacra.models._catalogue import file_sha256
from simulacra.models._model import ModelAPI
from simulacra.models._types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = ["TransformersAPI", "parse_transformers_target"]


def parse_transformers_target(rest: str) -> tuple[str, Path | None]:
    """Split ``BASE[?adapter=DIR]`` into the base and adapter folder. A bare adapter folder
    (one with ``adapter_config.json``) is its own adapter, its base read from provenance."""
    base, _, query = rest.partition("?")
    params = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(params) - {"adapter"})
    if unknown:
        raise ConfigError(f"transformers:{rest}: unknown option {unknown[0]!r} (known: adapter)")
    if "adapter" in params:
        return base, Path(params["adapter"][-1]).expanduser()
    path = Path(base).expanduser()
    if (path / "adapter_config.json").is_file():
        return _base_of(path), path
    return base, None


def _provenance(adapter: Path) -> dict[str, Any]:
    try:
        data = json.loads((adapter / "provenance.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{adapter}/provenance.json: unreadable ({exc})") from None
    return data if isinstance(data, dict) else {}


def _base_of(adapter: Path) -> str:
    prov = _provenance(adapter)
    if prov.get("base_dir"):
        return str(adapter / str(prov["base_dir"]))
    if prov.get("base"):
        return str(prov["base"])
    raise ConfigError(
        f"{adapter}: no provenance.json naming its base; use transformers:BASE?adapter={adapter}"
    )


def _check_compatible(adapter: Path, base_spec: str) -> None:
    """Refuse an adapter trained on another base (by folder, or GGUF file hash) before loading
    anything."""
    from simulacra.models._torch_base import resolve_base_path

    prov = _provenance(adapter)
    trained_on = prov.get("base")
    if prov.get("base_dir"):
        own = (adapter / str(prov["base_dir"])).resolve()
        if Path(base_spec).expanduser().resolve() != own:
            raise ConfigError(
                f"{adapter}: adapter was trained on its own {trained_on} base ({own}), "
                f"not on {base_spec}"
            )
        return
    if not trained_on:
        return
    want = (prov.get("base_facts") or {}).get("sha256")
    gguf = resolve_base_path(base_spec)
    have = file_sha256(gguf) if gguf is not None else None
    if want and want != have:
        got = f"sha256 {have[:12]}…" if have else "not that GGUF"
        raise ConfigError(
            f"{adapter}: adapter was trained on {trained_on} (sha256 {want[:12]}…), "
            f"not on {base_spec} ({got})"
        )


class TransformersAPI(ModelAPI):
    """Generation with a transformers causal LM (+ PEFT LoRA adapter) on the CPU.

    Calls are serialised (one model, one forward at a time) and run in a worker thread. The
    chat template is the tokenizer's (ChatML for the embedded family). ``seed`` seeds torch's
    global generator per call so sampled outputs repeat.

    Args:
        base: Base model (``embedded:<tier>``, ``gguf:PATH`` or a transformers folder).
        adapter: LoRA adapter folder written by ``simulacra train``.
        name: Identifier recorded in logs.
        n_threads: torch CPU threads.
    """

    max_concurrency = 1

    def __init__(
        self,
        base: str,
        *,
        adapter: Path | None = None,
        name: str | None = None,
        n_threads: int | None = None,
    ) -> None:
        from simulacra.models._torch_base import import_torch, load_base

        torch = import_torch()
        if n_threads:
            torch.set_num_threads(n_threads)
        self.name = name or f"transformers:{base}"
        self.base_spec = base
        self.adapter = adapter
        if adapter is not None and not (adapter / "adapter_config.json").is_file():
            raise ConfigError(f"{adapter}: not a LoRA adapter folder (no adapter_config.json)")
        if adapter is not None:
            _check_compatible(adapter, base)
        loaded = load_base(base)
        model, self.tokenizer = loaded.model, loaded.tokenizer
        self.base_facts = loaded.facts
        if adapter is not None:
            from peft import PeftModel

            try:
                model = PeftModel.from_pretrained(model, str(adapter))
            except (RuntimeError, ValueError, KeyError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ConfigError(
                    f"{adapter}: adapter does not fit base {base!r} ({first[:160]})"
                ) from None
        self.model = model.eval()
        self._torch = torch
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": "transformers",
            "base": self.base_spec,
            "base_facts": self.base_facts,
            "adapter": str(self.adapter) if self.adapter else None,
            "adapter_provenance": _provenance(self.adapter) if self.adapter else None,
        }

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        return await asyncio.to_thread(self.generate_sync, messages, config)

    def generate_sync(self, messages: Sequence[ChatMessage], config: GenerateConfig) -> ModelOutput:
        """Blocking generation (used by :meth:`generate` in a worker thread)."""
        if config.json_schema is not None:
            raise ModelError(
                f"{self.name}: json_schema is not supported by the transformers provider"
            )
        torch, tok = self._torch, self.tokenizer
        chat = [{"role": m.role, "content": m.content} for m in messages]
        prompt = tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        ids = tok(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        max_new = config.max_tokens or 256
        temperature = 0.8 if config.temperature is None else config.temperature
        kwargs: dict[str, Any] = {"max_new_tokens": max_new, "do_sample": temperature > 0}
        if temperature > 0:
            kwargs.update(
                temperature=temperature, top_p=config.top_p or 1.0, top_k=config.top_k or 0
            )
            if config.min_p is not None:
                kwargs["min_p"] = config.min_p
        if config.repeat_penalty is not None:
            kwargs["repetition_penalty"] = config.repeat_penalty
        if config.stop:
            kwargs.update(stop_strings=list(config.stop), tokenizer=tok)
        with self._lock, torch.no_grad():
            if config.seed is not None:
                torch.manual_seed(config.seed)
            try:
                out = self.model.generate(
                    input_ids=ids,
                    attention_mask=torch.ones_like(ids),
                    pad_token_id=tok.pad_token_id,
                    eos_token_id=tok.eos_token_id,
                    **kwargs,
                )
            except (RuntimeError, ValueError) as exc:
                raise ModelError(f"{self.name}: {exc}") from exc
        new = out[0, ids.shape[1] :].tolist()
        text = tok.decode(new, skip_special_tokens=True)
        finish = "stop"
        cut = min((i for s in config.stop or [] if (i := text.find(s)) >= 0), default=-1)
        if cut >= 0:
            text = text[:cut]
        elif len(new) >= max_new and tok.eos_token_id not in new:
            finish = "length"
        return ModelOutput(
            text=text.strip(),
            finish_reason=finish,
            usage=Usage(prompt_tokens=int(ids.shape[1]), completion_tokens=len(new)),
        )
