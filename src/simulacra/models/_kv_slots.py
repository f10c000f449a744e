"""How many KV slots an embedded model gets: memory per token from the GGUF, memory available."""

from __future__ import annotations

import os

from simulacra.errors import ConfigError, ModelError

__all__ = ["available_memory", "kv_bytes_per_token", "slot_count"]


def kv_bytes_per_token(metadata: dict[str, str]) -> int:
    """Bytes of f16 KV cache one token takes, from the GGUF metadata."""
    arch = metadata.get("general.architecture", "llama")

    def get(key: str, default: int | None = None) -> int:
        value = metadata.get(f"{arch}.{key}")
        if value is None:
            if default is None:
                raise ModelError(f"GGUF metadata lacks {arch}.{key}")
            return default
        return int(value)

    n_head = get("attention.head_count")
    head_dim = get("attention.key_length", get("embedding_length") // n_head)
    v_dim = get("attention.value_length", head_dim)
    return get("block_count") * get("attention.head_count_kv", n_head) * (head_dim + v_dim) * 2


def available_memory() -> int:
    """Bytes of memory available to new allocations (``MemAvailable``; all RAM if unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def slot_count(asked: int | None, n_ctx: int, per_token: int, max_default: int) -> int:
    """Slots of ``n_ctx`` tokens: ``asked`` when it fits in 80% of the available memory, else
    (``asked`` is None) as many as fit in half of it, at most ``max_default``.

    Raises:
        ConfigError: ``asked`` slots (or even one) do not fit.
    """
    per_slot = per_token * n_ctx
    free = available_memory()
    gib = 1024**3
    if asked is not None:
        if asked * per_slot > 0.8 * free:
            raise ConfigError(
                f"n_slots: {asked} slots of {n_ctx} tokens need {asked * per_slot / gib:.1f} GiB "
                f"of KV cache, {free / gib:.1f} GiB of memory is available; lower n_slots or n_ctx"
            )
        if asked > 256:
            raise ConfigError(f"n_slots: at most 256 (llama.cpp's limit), got {asked}")
        return asked
    fit = int(0.5 * free // per_slot)
    if fit < 1:
        raise ConfigError(
            f"n_ctx: one slot of {n_ctx} tokens needs {per_slot / gib:.1f} GiB of KV cache, "
            f"{free / gib:.1f} GiB of memory is available; lower n_ctx"
        )
    return min(fit, max_default)
