"""Concurrency limits shared per provider connection, adapting to rate-limit signals."""

from __future__ import annotations

import asyncio
import time
from collections import deque

__all__ = ["AdaptiveLimiter", "shared_limiter"]


class AdaptiveLimiter:
    """A concurrency limit that halves on overload and grows back while calls succeed (AIMD).

    Args:
        limit: Starting (and maximum) number of calls in flight.
        adaptive: Adapt to rate-limit signals; ``False`` keeps the limit fixed.
        min_limit: Floor of the adaptive limit.
    """

    def __init__(self, limit: int, *, adaptive: bool = True, min_limit: int = 1) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.max_limit = limit
        self.limit = limit
        self.adaptive = adaptive
        self.min_limit = min(min_limit, limit)
        self.in_use = 0
        self.peak = 0
        self.backoffs = 0
        self._successes = 0
        self._paused_until = 0.0
        self._last_cut = 0.0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> None:
        """Wait for a slot (and for any Retry-After pause to pass)."""
        while True:
            pause = self._paused_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            if self.in_use < self.limit:
                self.in_use += 1
                self.peak = max(self.peak, self.in_use)
                return
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise

    def release(self) -> None:
        """Give a slot back."""
        self.in_use -= 1
        self._wake()

    def _wake(self) -> None:
        free = self.limit - self.in_use
        while free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1

    def on_success(self) -> None:
        """A call succeeded: after ``limit`` successes in a row, allow one more in flight."""
        if not self.adaptive or self.limit >= self.max_limit:
            return
        self._successes += 1
        if self._successes >= self.limit:
            self._successes = 0
            self.limit += 1
            self._wake()

    def on_rate_limit(self, retry_after: float | None) -> None:
        """The provider said slow down: halve the limit (at most once per second) and pause new
        calls for ``retry_after`` seconds."""
        now = time.monotonic()
        if retry_after:
            self._paused_until = max(self._paused_until, now + retry_after)
        if self.adaptive and now - self._last_cut > 1.0:
            self._last_cut = now
            self._successes = 0
            self.limit = max(self.min_limit, self.limit // 2)
            self.backoffs += 1


_SHARED: dict[tuple[int, str], AdaptiveLimiter] = {}


def shared_limiter(key: str, *, limit: int, adaptive: bool) -> AdaptiveLimiter:
    """The limiter of one provider connection in the running event loop (created on first use),
    so models of different roles on the same server share one pool."""
    loop_id = id(asyncio.get_running_loop())
    limiter = _SHARED.get((loop_id, key))
    if limiter is None:
        for stale in [k for k in _SHARED if k[0] != loop_id]:
            del _SHARED[stale]
        limiter = _SHARED[(loop_id, key)] = AdaptiveLimiter(limit, adaptive=adaptive)
    return limiter
