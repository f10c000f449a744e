"""Held-out perplexity on the simulated user's turns only (the tokens SFT trains on).

Perplexity = exp(total negative log-likelihood / number of target tokens), pooled over all
conversations, so long conversations weigh by their tokens. The targets are the ``assistant``
spans marked by the chat template's ``{% generation %}`` tags, including each ``<|im_end|>``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from simulacra.errors import ConfigError

__all__ = ["target_mask", "user_turn_nll", "user_turn_perplexity"]


def target_mask(
    tokenizer: Any, messages: Sequence[dict[str, str]], max_length: int
) -> tuple[list[int], list[int]]:
    """Token ids of a conversation and a 0/1 mask of the simulated user's (assistant) tokens."""
    encoded = tokenizer.apply_chat_template(
        list(messages), tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids = list(encoded["input_ids"])[:max_length]
    mask = list(encoded["assistant_masks"])[:max_length]
    return ids, mask


def user_turn_nll(
    model: Any, tokenizer: Any, conversations: Sequence[Sequence[dict[str, str]]], max_length: int
) -> tuple[float, int, list[tuple[float, int]]]:
    """Total NLL (nats), target-token count, and per conversation ``(NLL, tokens)`` (for
    bootstrap intervals over conversations)."""
    import torch

    total, count = 0.0, 0
    per_conv: list[tuple[float, int]] = []
    for messages in conversations:
        ids, mask = target_mask(tokenizer, messages, max_length)
        if sum(mask[1:]) == 0:
            continue
        input_ids = torch.tensor([ids])
        with torch.no_grad():
            logits = model(input_ids=input_ids).logits[0, :-1].float()
        targets = input_ids[0, 1:]
        nll = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
        weights = torch.tensor(mask[1:], dtype=torch.float32)
        conv_nll = float((nll * weights).sum())
        conv_n = int(weights.sum())
        total += conv_nll
        count += conv_n
        per_conv.append((conv_nll, conv_n))
    return total, count, per_conv


def user_turn_perplexity(
    model: Any, tokenizer: Any, conversations: Sequence[Sequence[dict[str, str]]], max_length: int
) -> float:
    """Pooled perplexity of the simulated user's turns.

    Raises:
        ConfigError: If no conversation has a user (assistant-role) token to score.
    """
    total, count, _ = user_turn_nll(model, tokenizer, conversations, max_length)
    if count == 0:
        raise ConfigError("held-out data has no user (assistant-role) tokens to score")
    return math.exp(total / count)
