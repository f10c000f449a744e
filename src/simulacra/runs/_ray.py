"""The Ray executor: shard work items over Ray workers, each running the same async engine.

The driver keeps the run store: it streams batches of work items to worker actors, receives the
finished conversations and appends them to ``conversations.jsonl`` exactly as the local executor
does (group-committed, one line per conversation), so resume and crash safety are the same. No
shared filesystem is needed between the driver and the workers. A batch lost with a dead worker or
driver is simply rerun on resume (its conversations were never written).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError, MissingExtraError
from simulacra.models import rollout_index
from simulacra.runs._config import RunConfig
from simulacra.runs._items import WorkItem, _build_target, _open_cache, build_models, run_item

if TYPE_CHECKING:
    from simulacra.runs._runner import RunControl
    from simulacra.runs._store import RunWriter

__all__ = ["check_ray", "merge_stats", "run_on_ray"]

_BATCH = 8


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingExtraError("ray", "executor: ray") from None
    return ray


def _address(config: RunConfig) -> str | None:
    return config.execution.ray_address or os.environ.get("RAY_ADDRESS") or None


def check_ray(config: RunConfig) -> None:
    """Fail early, in one line, if Ray is missing or the cluster address is unreachable."""
    _import_ray()
    address = _address(config)
    if address in (None, "auto", "local"):
        return
    assert address is not None
    hostport = address.removeprefix("ray://").split("/")[0]
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 10001)), timeout=3):
            pass
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"execution.ray_address: cannot reach Ray at {address} ({exc}); "
            "start the cluster or fix the address"
        ) from None


def merge_stats(per_worker: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Add up the per-role model statistics of several workers."""
    merged: dict[str, dict[str, Any]] = {}
    for worker in per_worker:
        for role, stats in worker.items():
            into = merged.setdefault(role, {})
            for key, value in stats.items():
                if isinstance(value, bool) or not isinstance(value, int | float | dict):
                    into.setdefault(key, value)
                elif isinstance(value, dict):
                    bucket = into.setdefault(key, {})
                    for k, v in value.items():
                        bucket[k] = bucket.get(k, 0) + v
                else:
                    into[key] = into.get(key, 0) + value
    return merged


class _Worker:
    """A Ray actor: builds the models once, runs batches of work items concurrently."""

    def __init__(self, config_json: str, in_flight: int) -> None:
        self.config = RunConfig.model_validate_json(config_json)
        self.in_flight = in_flight
        self.models: dict[str, Any] | None = None
        self.target: Any = None
        self.cache: Any = None

    async def _setup(self) -> None:
        if self.models is None:
            self.cache = _open_cache(self.config)
            self.models = build_models(self.config, cache=self.cache)
            self.target = _build_target(self.config, self.models)

    async def run_batch(self, items: list[WorkItem]) -> list[str]:

        await self._setup()
        assert self.models is not None
        semaphore = asyncio.Semaphore(self.in_flight)

        async def one(item: WorkItem) -> str:
            async with semaphore:
                rollout_index.set(item.epoch)
                assert self.models is not None
                conversation = await run_item(self.config, item, self.models, self.target)
                return conversation.model_dump_json()

        return list(await asyncio.gather(*(one(i) for i in items)))

    def stats(self) -> dict[str, dict[str, Any]]:
        return {role: m.stats() for role, m in (self.models or {}).items()}


def _batches(items: Iterator[WorkItem], size: int) -> Iterator[list[WorkItem]]:
    batch: list[WorkItem] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def run_on_ray(
    config: RunConfig,
    items: Iterator[WorkItem],
    writer: RunWriter,
    on_done: Callable[[Conversation], None],
    control: RunControl,
    *,
    max_in_flight: int,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the work items on Ray workers; returns the merged per-role model statistics."""
    ray = _import_ray()
    workers_n = config.execution.ray_workers
    started_here = not ray.is_initialized()
    if started_here:
        address = _address(config)
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address is None:
            kwargs["num_cpus"] = max(workers_n, os.cpu_count() or 1)
        ray.init(address=address, ignore_reinit_error=True, **kwargs)
    actor_cls = ray.remote(num_cpus=1, max_concurrency=64)(_Worker)
    per_worker = max(1, max_in_flight // workers_n)
    actors = [actor_cls.remote(config.model_dump_json(), per_worker) for _ in range(workers_n)]
    batches = _batches(items, _BATCH)
    pending: dict[asyncio.Future[list[str]], Any] = {}
    slots = {id(a): 0 for a in actors}
    # Enough batches per worker to keep its share of max_in_flight busy, plus one queued.
    per_actor = -(-per_worker // _BATCH) + 1
    exhausted = False
    try:
        while True:
            for actor in actors:
                while not exhausted and not control.stopping and slots[id(actor)] < per_actor:
                    batch = next(batches, None)
                    if batch is None:
                        exhausted = True
                        break
                    ref = actor.run_batch.remote(batch)
                    pending[asyncio.wrap_future(ref.future())] = actor
                    slots[id(actor)] += 1
            if on_progress is not None:
                on_progress(sum(slots.values()) * _BATCH)
            if not pending:
                break
            done, _ = await asyncio.wait(list(pending), return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                actor = pending.pop(future)
                slots[id(actor)] -= 1
                for line in future.result():
                    conversation = Conversation.model_validate_json(line)
                    writer.write(conversation, sync=False)
                    on_done(conversation)
            writer.sync()
        stats = merge_stats([ray.get(a.stats.remote()) for a in actors])
    finally:
        for future in pending:
            future.cancel()
        for actor in actors:
            ray.kill(actor)
        if started_here:
            ray.shutdown()
    return stats
