"""When to try a failed delivery again, and when to stop.

Mastodon retries a delivery 16 times over about 2.5 days; we keep the same count with a doubling
delay from 30 s capped at 12 h, which spreads the attempts over a little more than 3 days, and we
add jitter so that a neighbour coming back is not hit by every node at the same second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_jitter_source = random.Random()  # noqa: S311 - spreading retries, not security


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 16
    first_delay: float = 30.0
    max_delay: float = 12 * 3600.0
    jitter: float = 0.2  # +/- 20 %
    circuit_threshold: int = 5  # consecutive failures before a host's circuit opens
    circuit_first_open: float = 60.0
    circuit_max_open: float = 6 * 3600.0

    def delay_after(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `attempts`-th failed attempt (1 for the first)."""
        base = min(self.max_delay, self.first_delay * 2.0 ** max(0, attempts - 1))
        spread = (rng or _jitter_source).uniform(-self.jitter, self.jitter)
        return base * (1 + spread)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class Outcome:
    """What to do with a delivery after one attempt."""

    action: str  # "done" | "retry" | "give_up" | "gone"
    delay: float = 0.0
    reason: str = ""


def classify_response(
    status: int, retry_after: str | None, attempts: int, policy: RetryPolicy, now: datetime
) -> Outcome:
    if 200 <= status < 300:
        return Outcome("done")
    if status == 410:
        return Outcome("gone", reason="410 Gone: the recipient no longer exists")
    if status in (429, 503) or status >= 500 or status == 408:
        if policy.exhausted(attempts):
            return Outcome("give_up", reason=f"HTTP {status} after {attempts} attempts")
        delay = policy.delay_after(attempts)
        hinted = retry_after_seconds(retry_after, now) if status in (429, 503) else None
        return Outcome("retry", max(delay, hinted or 0.0), f"HTTP {status}")
    return Outcome("give_up", reason=f"HTTP {status}: the recipient refused the activity")


def classify_failure(error: str, attempts: int, policy: RetryPolicy) -> Outcome:
    """A network failure (refused, reset, timeout): retry unless the attempts are used up."""
    if policy.exhausted(attempts):
        return Outcome("give_up", reason=f"{error} after {attempts} attempts")
    return Outcome("retry", policy.delay_after(attempts), error)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), 7 * 24 * 3600.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - now).total_seconds(), 7 * 24 * 3600.0))
