"""The batch engine: many conversations in flight, each sequential inside; results streamed to
the run store as they finish (group-committed), work items streamed from a generator."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any

from simulacra.conversation import Conversation, TerminationReason
from simulacra.runs._accounting import CallAccounting

if TYPE_CHECKING:
    from simulacra.models import CallCache, Model
    from simulacra.runs._config import Price
    from simulacra.runs._items import WorkItem
    from simulacra.runs._runner import RunControl
    from simulacra.runs._store import RunWriter

__all__ = ["COUNTED_ERRORS", "ERRORS_LOUD_SHARE", "RunStats", "run_work"]

COUNTED_ERRORS = frozenset(
    {TerminationReason.SIMULATOR_ERROR, TerminationReason.INFRASTRUCTURE_ERROR}
)
"""Terminations that count against ``fail_on_error`` (a target error is a result, not a failure
of the run)."""

_FRACTION_MIN_DONE = 20

ERRORS_LOUD_SHARE = 0.5
"""Without ``fail_on_error``, a run that finishes with more than this share of its conversations
ended by simulator/infrastructure errors is ``complete_with_errors`` (exit 1), not ``complete``."""


class RunStats:
    """Streaming counters over finished conversations (constant memory)."""

    def __init__(self) -> None:
        self.conversations = 0
        self.turns = 0
        self.termination: Counter[str] = Counter()
        self.counted_errors = 0
        self.tokens = 0
        self.gated = 0
        self.simulator_invalid = 0
        self.regenerations = 0
        self.accounting = CallAccounting()

    def add(self, conversation: Conversation) -> None:
        """Count one finished conversation."""
        self.conversations += 1
        self.accounting.add(conversation)
        self.tokens += conversation.usage.get("prompt_tokens", 0)
        self.tokens += conversation.usage.get("completion_tokens", 0)
        self.turns += len(conversation.turns)
        self.termination[str(conversation.termination)] += 1
        if conversation.termination in COUNTED_ERRORS:
            self.counted_errors += 1
        if "simulator_invalid" in conversation.metadata:
            self.gated += 1
            self.simulator_invalid += conversation.metadata["simulator_invalid"] is True
            value = conversation.metadata.get("simulator_regenerations")
            self.regenerations += value if isinstance(value, int) else 0

    @property
    def errors(self) -> int:
        """Conversations that ended with any error (target errors included)."""
        return sum(
            n for reason, n in self.termination.items() if TerminationReason(reason).is_error
        )

    def fail_reason(self, fail_on_error: float | None) -> str | None:
        """Why the run should stop, or ``None``."""
        if fail_on_error is None or self.counted_errors == 0:
            return None
        if fail_on_error >= 1:
            if self.counted_errors >= fail_on_error:
                return f"fail_on_error: {self.counted_errors} errors >= {int(fail_on_error)}"
            return None
        if self.conversations >= _FRACTION_MIN_DONE:
            share = self.counted_errors / self.conversations
            if share > fail_on_error:
                return f"fail_on_error: {share:.0%} of conversations failed > {fail_on_error:.0%}"
        return None

    def final_status(self, fail_on_error: float | None) -> str:
        """The status of a run that ran to its end: ``complete``, or ``complete_with_errors``
        when ``fail_on_error`` is unset and more than :data:`ERRORS_LOUD_SHARE` of the
        conversations ended by simulator/infrastructure errors."""
        failing = self.conversations and self.counted_errors / self.conversations
        if fail_on_error is None and failing and failing > ERRORS_LOUD_SHARE:
            return "complete_with_errors"
        return "complete"

    def summary(
        self,
        models: dict[str, Model],
        wall: float,
        prices: dict[str, Price],
        cache: CallCache | None,
        model_stats: dict[str, dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The run summary written to ``run.json``.

        ``models`` (per role) and ``cost`` count every call recorded in the run's conversations,
        whichever process made it (see :mod:`simulacra.runs._accounting`); ``this_process`` is
        what this process's models counted (``model_stats`` replaces the local models'
        statistics: the Ray executor's models live in the workers).
        """
        process: dict[str, Any] = {}
        for role, model in models.items():
            stats = model.stats()
            if model_stats is not None:
                stats = {**stats, **model_stats.get(role, {}), "model": model.name, "role": role}
            price = prices.get(role) or prices.get(model.name)
            if price is not None:
                stats["cost"] = round(
                    (
                        stats["prompt_tokens"] * price.prompt
                        + stats["completion_tokens"] * price.completion
                    )
                    / 1_000_000,
                    6,
                )
            process[role] = stats
        per_role, total_cost = self.accounting.summary(models, prices, process)
        tokens = sum(s["prompt_tokens"] + s["completion_tokens"] for s in process.values())
        out: dict[str, Any] = {
            "conversations": self.conversations,
            "turns": self.turns,
            "mean_turns": round(self.turns / self.conversations, 2) if self.conversations else 0.0,
            "termination": dict(sorted(self.termination.items())),
            "errors": self.errors,
            "wall_s": round(wall, 3),
            "tokens_per_s": round(tokens / wall, 1) if wall > 0 else None,
            "models": per_role,
            "this_process": process,
        }
        if self.gated:
            # the simulator's own faults, reported apart from the target's
            out["simulator"] = {
                "gated": self.gated,
                "invalid": self.simulator_invalid,
                "regenerations": self.regenerations,
            }
        if total_cost is not None:
            out["cost"] = total_cost
        if cache is not None:
            out["cache"] = {"hits": cache.hits, "misses": cache.misses, "path": str(cache.path)}
        return out


async def run_work(
    items: Iterator[WorkItem],
    run_one: Callable[[WorkItem], Coroutine[Any, Any, Conversation]],
    writer: RunWriter,
    *,
    max_in_flight: int,
    control: RunControl,
    on_done: Callable[[Conversation], None],
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Keep up to ``max_in_flight`` conversations running; write each as it finishes.

    Finished conversations of one wake-up are fsync'd together (group commit). Stops taking new
    items when ``control.stopping`` is set and lets the in-flight ones finish. If cancelled,
    in-flight conversations are cancelled and not written (a resume reruns them).
    """
    in_flight: set[asyncio.Task[Conversation]] = set()
    exhausted = False
    try:
        while True:
            while not exhausted and not control.stopping and len(in_flight) < max_in_flight:
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                in_flight.add(asyncio.create_task(run_one(item)))
            if on_progress is not None:
                on_progress(len(in_flight))
            if not in_flight:
                return
            done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                conversation = task.result()
                writer.write(conversation, sync=False)
                on_done(conversation)
            writer.sync()
    finally:
        for task in in_flight:
            task.cancel()
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)
