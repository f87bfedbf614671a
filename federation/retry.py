"""When to try a failed delivery again, when to stop, and when to pause a whole host.

Two schedules work together:

- Each delivery has its own: 16 attempts (Mastodon's count), the delay doubling from 30 s
  (`delivery_first_retry_seconds`) up to 12 h, +/-20 % jitter so that a neighbour coming back is
  not hit by every node at the same second. The 15 waits sum to 234,210 s, about 2.7 days
  (2.2 to 3.3 days with the jitter) before the 16th attempt, after which the delivery is given up.
- Each host has a circuit breaker (`HostPausePolicy`): an answer showing the host down (no
  connection, a timeout, 502, 503 or 504 without Retry-After) pauses the whole host; when the
  pause ends one delivery is sent as a probe, and its failure pauses the host again. A pause lasts
  a third of the time the host has been failing, between 5 s and 10 min (+/-20 %), so that a host
  back after an outage of D seconds gets its backlog about D/3 later at most (D = 4 min: within
  about 1.6 min; D = 1 h: within about 12 min). A failed probe stands for every delivery then due
  at that host: each counts an attempt, so the per-delivery schedule above still decides when
  they are given up, only moved to the next probe (at most 12 min later per attempt).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_jitter_source = random.Random()  # noqa: S311 - spreading retries, not security

# Statuses that say the host (or the service behind its proxy) is down, not this one request.
HOST_DOWN_STATUSES = frozenset({502, 503, 504})
MAX_RETRY_AFTER = 7 * 24 * 3600.0
MIN_RETRY_AFTER = 1.0  # a Retry-After of 0 must not turn into a loop without pause


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 16
    first_delay: float = 30.0
    max_delay: float = 12 * 3600.0
    jitter: float = 0.2  # +/- 20 %

    def delay_after(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `attempts`-th failed attempt (1 for the first)."""
        base = min(self.max_delay, self.first_delay * 2.0 ** max(0, attempts - 1))
        spread = (rng or _jitter_source).uniform(-self.jitter, self.jitter)
        return base * (1 + spread)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class HostPausePolicy:
    """How long a host shown down is paused before the next probe (see the module's text)."""

    share_of_outage: float = 1 / 3
    min_pause: float = 5.0
    max_pause: float = 600.0
    jitter: float = 0.2

    def pause_after(self, failing_for: float, rng: random.Random | None = None) -> float:
        """Seconds to pause a host that has been failing for `failing_for` seconds."""
        base = min(self.max_pause, max(self.min_pause, failing_for * self.share_of_outage))
        return base * (1 + (rng or _jitter_source).uniform(-self.jitter, self.jitter))


@dataclass(frozen=True)
class Outcome:
    """What to do with a delivery after one attempt.

    `host_down`: the answer shows the host down (it pauses the host, see HostPausePolicy).
    `throttled`: the host asked us to wait `delay` seconds (429, or 503 with Retry-After): the
    host is paused that long, and the attempt is not counted against the delivery.
    """

    action: str  # "done" | "retry" | "give_up" | "gone"
    delay: float = 0.0
    reason: str = ""
    host_down: bool = False
    throttled: bool = False


def classify_response(
    status: int, retry_after: str | None, attempts: int, policy: RetryPolicy, now: datetime
) -> Outcome:
    if 200 <= status < 300:
        return Outcome("done")
    if status == 410:
        return Outcome("gone", reason="410 Gone: the recipient no longer exists")
    hinted = retry_after_seconds(retry_after, now) if status in (429, 503) else None
    if hinted is not None:
        # Asked to come back later: honoured, and not a failure of this delivery.
        return Outcome(
            "retry", max(MIN_RETRY_AFTER, hinted), f"HTTP {status}, Retry-After", throttled=True
        )
    if status == 429 or status >= 500 or status == 408:
        if policy.exhausted(attempts):
            return Outcome("give_up", reason=f"HTTP {status} after {attempts} attempts")
        return Outcome(
            "retry",
            policy.delay_after(attempts),
            f"HTTP {status}",
            host_down=status in HOST_DOWN_STATUSES,
        )
    return Outcome("give_up", reason=f"HTTP {status}: the recipient refused the activity")


def classify_failure(error: str, attempts: int, policy: RetryPolicy) -> Outcome:
    """A network failure (refused, reset, timeout): retry unless the attempts are used up."""
    if policy.exhausted(attempts):
        return Outcome("give_up", reason=f"{error} after {attempts} attempts", host_down=True)
    return Outcome("retry", policy.delay_after(attempts), error, host_down=True)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - now).total_seconds(), MAX_RETRY_AFTER))
