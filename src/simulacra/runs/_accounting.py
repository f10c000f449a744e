"""Usage and cost of a whole run, counted from its conversation records.

Every model call made for a conversation is recorded in it (``Conversation.model_calls``: role,
model, attempts, retries by kind, usage, latency, cached or not). A run's accounting is the sum
over the records in ``conversations.jsonl``, so it covers every process that wrote the run (a
resume scans the earlier records first) and a resumed finished run keeps its cost.

Calls that no record holds are counted per process and carried over from the previous
``run.json`` summary: the inline judges' calls (verdicts go to ``judgments.jsonl`` without usage).
Calls of conversations abandoned mid-flight (a second Ctrl-C, a SIGKILL) are in no record; they
show only in the ``this_process`` block of the process that made them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulacra.conversation import Conversation

if TYPE_CHECKING:
    from simulacra.models import Model
    from simulacra.runs._config import Price

__all__ = ["CallAccounting"]

_CARRIED_NUMBERS = (
    "calls",
    "cache_hits",
    "retries",
    "errors",
    "prompt_tokens",
    "completion_tokens",
)


@dataclass
class _Counts:
    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    errors: int = 0
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries_by_kind: Counter[str] = field(default_factory=Counter)

    def add_call(self, call: dict[str, object]) -> None:
        attempts = call.get("attempts")
        attempts = attempts if isinstance(attempts, int) else 1
        if call.get("cached"):
            self.cache_hits += 1
        elif "error" in call:
            self.errors += 1
            self.retries += max(attempts - 1, 0)
        else:
            self.calls += 1
            self.retries += max(attempts - 1, 0)
        retried = call.get("retried")
        if isinstance(retried, dict):
            self.retries_by_kind.update({str(k): int(v) for k, v in retried.items()})
        latency = call.get("latency_s")
        if isinstance(latency, int | float) and not call.get("cached"):
            self.latency_s += latency
        usage = call.get("usage")
        if isinstance(usage, dict) and not call.get("cached"):
            self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            self.completion_tokens += int(usage.get("completion_tokens") or 0)


def _price_of(prices: dict[str, Price], role: str, model: str) -> Price | None:
    return prices.get(role) or prices.get(model)


def _cost(counts: _Counts | dict[str, Any], price: Price) -> float:
    if isinstance(counts, _Counts):
        prompt, completion = counts.prompt_tokens, counts.completion_tokens
    else:
        prompt, completion = counts.get("prompt_tokens", 0), counts.get("completion_tokens", 0)
    return float(prompt * price.prompt + completion * price.completion) / 1_000_000


class CallAccounting:
    """Per role and model: calls, cache hits, retries, errors, latency and tokens, summed over
    conversation records (constant memory), plus what earlier processes counted for roles whose
    calls are not in the records."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, _Counts]] = {}
        self._carried: dict[str, dict[str, Any]] = {}

    def add(self, conversation: Conversation) -> None:
        """Count every call recorded in one conversation."""
        for call in conversation.model_calls:
            role, model = str(call.get("role") or "?"), str(call.get("model") or "?")
            self._counts.setdefault(role, {}).setdefault(model, _Counts()).add_call(call)

    def carry_over(self, previous_summary: object) -> None:
        """Take the per-process counts of an earlier ``run.json`` summary for the roles whose
        calls the records do not hold (called by a resume with the run's last summary)."""
        if not isinstance(previous_summary, dict):
            return
        roles = previous_summary.get("models")
        if not isinstance(roles, dict):
            return
        for role, stats in roles.items():
            if isinstance(stats, dict) and stats.get("counted_from") == "processes":
                self._carried[str(role)] = dict(stats)

    def summary(
        self,
        models: dict[str, Model],
        prices: dict[str, Price],
        process_stats: dict[str, dict[str, Any]],
    ) -> tuple[dict[str, Any], float | None]:
        """Per-role totals of the run and its total cost (``None`` when nothing is priced).

        ``process_stats`` is this process's per-role model statistics (what its models counted).
        """
        per_role: dict[str, Any] = {}
        total = 0.0
        priced = False
        for role in dict.fromkeys([*self._counts, *models, *self._carried]):
            by_model = self._counts.get(role)
            if by_model:
                out, cost = self._from_records(role, by_model, prices)
            else:
                model = models[role].name if role in models else "?"
                out, cost = self._from_processes(role, model, prices, process_stats.get(role))
            if cost is not None:
                out["cost"] = round(cost, 6)
                total += cost
                priced = True
            per_role[role] = out
        return per_role, (round(total, 6) if priced else None)

    @staticmethod
    def _from_records(
        role: str, by_model: dict[str, _Counts], prices: dict[str, Price]
    ) -> tuple[dict[str, Any], float | None]:
        total = _Counts()
        cost: float | None = None
        for model, c in by_model.items():
            total.calls += c.calls
            total.cache_hits += c.cache_hits
            total.retries += c.retries
            total.errors += c.errors
            total.latency_s += c.latency_s
            total.prompt_tokens += c.prompt_tokens
            total.completion_tokens += c.completion_tokens
            total.retries_by_kind.update(c.retries_by_kind)
            price = _price_of(prices, role, model)
            if price is not None:
                cost = (cost or 0.0) + _cost(c, price)
        out: dict[str, Any] = {
            "model": ", ".join(by_model),
            "role": role,
            "counted_from": "records",
            "calls": total.calls,
            "cache_hits": total.cache_hits,
            "retries": total.retries,
            "retries_by_kind": dict(sorted(total.retries_by_kind.items())),
            "errors": total.errors,
            "latency_s": round(total.latency_s, 3),
            "prompt_tokens": total.prompt_tokens,
            "completion_tokens": total.completion_tokens,
        }
        return out, cost

    def _from_processes(
        self,
        role: str,
        model: str,
        prices: dict[str, Price],
        stats: dict[str, Any] | None,
    ) -> tuple[dict[str, Any], float | None]:
        carried = self._carried.get(role, {})
        now = stats or {}
        out: dict[str, Any] = {"model": now.get("model", carried.get("model", model)), "role": role}
        out["counted_from"] = "processes"
        for key in _CARRIED_NUMBERS:
            out[key] = int(carried.get(key, 0)) + int(now.get(key, 0))
        kinds: Counter[str] = Counter(carried.get("retries_by_kind") or {})
        kinds.update(now.get("retries_by_kind") or {})
        out["retries_by_kind"] = dict(sorted(kinds.items()))
        latency = float(carried.get("latency_s", 0.0)) + float(now.get("latency_s", 0.0))
        out["latency_s"] = round(latency, 3)
        price = _price_of(prices, role, str(out["model"]))
        return out, (_cost(out, price) if price is not None else None)
