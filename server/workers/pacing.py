"""Per-host concurrency that adapts to the host's answers (additive increase, multiplicative
decrease, as TCP congestion control does).

A host starts at `initial` deliveries at once. Every timely 2xx adds about one to its limit per
round of answers (1/limit each), up to `maximum` (the fetcher's connections per host); an answer
much slower than the host's best recent one (queueing on its side) takes a tenth off; a 429, a
Retry-After or a host that looks down halves it, down to 1. The worker leases at most twice the
limit per host (a short queue, so that the next request leaves as soon as one is answered) and
sends at most the limit at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

SLOWER_THAN_BEST = 2.0  # an answer this many times slower than the best recent one...
SLOW_MARGIN = 0.1  # ... plus this many seconds is a sign of queueing at the host
BEST_DRIFT = 1.05  # the best latency drifts up this much per answer, to follow a host that slows


@dataclass
class HostPace:
    initial: float = 4.0
    maximum: float = 8.0
    limit: float = 0.0
    best_latency: float | None = None
    sending: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def __post_init__(self) -> None:
        self.limit = self.limit or self.initial

    @property
    def concurrency(self) -> int:
        return max(1, math.floor(self.limit))

    @property
    def depth(self) -> int:
        """How many deliveries of this host the worker may hold leased."""
        return 2 * self.concurrency

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self.sending < self.concurrency)
            self.sending += 1
        try:
            yield
        finally:
            async with self._changed:
                self.sending -= 1
                self._changed.notify_all()

    def answered(self, seconds: float) -> None:
        """A 2xx after `seconds`."""
        best = self.best_latency
        self.best_latency = seconds if best is None else min(seconds, best * BEST_DRIFT)
        if best is not None and seconds > best * SLOWER_THAN_BEST + SLOW_MARGIN:
            self.limit = max(1.0, self.limit * 0.9)
        else:
            self.limit = min(self.maximum, self.limit + 1 / self.limit)

    def pushed_back(self) -> None:
        """A 429, a Retry-After, or the host looked down."""
        self.limit = max(1.0, self.limit / 2)
