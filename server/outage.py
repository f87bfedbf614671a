"""How long the database has been unreachable, and so how long a client should wait.

Every route answers 503 while PostgreSQL cannot be reached (server.routes.unavailable). A fixed
`Retry-After` is wrong both ways: a restart takes seconds, so 30 s keeps clients away for nothing,
while 1 s during a long outage makes every sender hammer us. The delay grows with the outage:
1 s at first, then about as long as the outage has lasted so far (a power of two: 1, 2, 4, 8,
16), capped at 30 s.

An outage starts with the first unreachable error and ends when the web process's live-stream
LISTEN is made again (the database answers), or, failing that signal, when no request has met
an unreachable database for longer than a client told to wait the cap would take to come back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

FIRST_RETRY_SECONDS = 1
MAX_RETRY_SECONDS = 30
# Longer than MAX_RETRY_SECONDS: a sender that follows our Retry-After keeps the outage going.
FORGET_AFTER_SECONDS = 2 * MAX_RETRY_SECONDS


@dataclass
class DatabaseOutage:
    clock: Callable[[], float] = time.monotonic
    started: float | None = None
    last_failure: float = field(default=0.0)

    def failed(self) -> int:
        """Record an unreachable database now; the Retry-After (seconds) to answer with."""
        now = self.clock()
        if self.started is None or now - self.last_failure > FORGET_AFTER_SECONDS:
            self.started = now
        self.last_failure = now
        return retry_after(now - self.started)

    def ended(self) -> None:
        self.started = None


def retry_after(outage_seconds: float) -> int:
    """1 s at first, then the largest power of two not above the outage's length, up to 30 s."""
    power: int = 2 ** math.floor(math.log2(max(0.0, outage_seconds) + 1))
    return max(FIRST_RETRY_SECONDS, min(MAX_RETRY_SECONDS, power))
