"""Rate and concurrency limits on the inboxes (SECURITY.md row 17).

Two token buckets decide whether a POST to an inbox is served:

- the **origin** bucket of the host that signed the request, charged only for requests the inbox
  accepted after checking the signature. A big instance delivers from many addresses, and many
  small instances share one hosting provider's address, so authenticated traffic is counted by
  origin. Because a stranger can write any keyId, a request whose signature did not pass never
  touches the bucket of the host it names: nobody can exhaust another origin's allowance;
- the **client** bucket of the connecting address, charged for everything else (unsigned,
  malformed, forged, or refused requests, and the Delete of an unknown actor, which is answered
  without checking the signature).

Both buckets named by a request are checked before it is handled (the origin one by the host its
keyId claims), so a flood is stopped at the door, with 429 and `Retry-After`. Besides the rate,
each client address may have only `max_in_flight_per_client` requests in progress; more get 503
and `Retry-After`, which is what a slow-drip (slowloris) sender holding connections runs into.
A request that meets an unreachable database (answered 503 by server.routes.unavailable) is
charged to no bucket. Header and body timeouts belong to the reverse proxy in front of the node
(see the README).

State lives in the process: with N web processes, each enforces its own limits, so the effective
limit is N times the configured one. Memory is bounded by `max_tracked` keys per bucket set,
and buckets that refilled are forgotten.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from federation.hosts import canonical_host
from server.database import database_unreachable

__all__ = [
    "AUTHENTICATED_KEY_ID",
    "InboxRateLimiter",
    "Rate",
    "TokenBuckets",
    "claimed_signing_host",
    "client_address",
    "is_inbox_post",
]

# The inbox route stores the verified keyId here; only then is the origin bucket charged.
AUTHENTICATED_KEY_ID = web.RequestKey("maillage_authenticated_key_id", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Clock = Callable[[], float]

_KEY_ID = re.compile(r'keyid\s*=\s*"([^"]{1,2048})"', re.IGNORECASE)
_INBOX_PATH = re.compile(r"^/(?:inbox|actors/[^/]+/inbox)/?$")


@dataclass(frozen=True)
class Rate:
    """`per_second` tokens flow into a bucket that holds at most `burst`."""

    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not self.per_second > 0 or not math.isfinite(self.per_second):
            raise ValueError("Rate.per_second must be a positive number")
        if self.burst < 1:
            raise ValueError("Rate.burst must be at least 1")


class TokenBuckets:
    """One token bucket per key, created full; the least recently used keys are forgotten."""

    def __init__(self, rate: Rate, *, max_tracked: int = 100_000, clock: Clock = time.monotonic):
        if max_tracked < 1:
            raise ValueError("max_tracked must be at least 1")
        self.rate = rate
        self.max_tracked = max_tracked
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when

    def __len__(self) -> int:
        return len(self._buckets)

    def tokens(self, key: str) -> float:
        now = self._clock()
        stored = self._buckets.get(key)
        if stored is None:
            return float(self.rate.burst)
        tokens, when = stored
        return min(float(self.rate.burst), tokens + (now - when) * self.rate.per_second)

    def wait_time(self, key: str) -> float:
        """Seconds until `key` has a whole token; 0 when it has one now."""
        missing = 1.0 - self.tokens(key)
        return 0.0 if missing <= 0 else missing / self.rate.per_second

    def give_back(self, key: str) -> None:
        """Return a token taken by `charge` (a login that turned out right)."""
        if key in self._buckets:
            tokens = min(float(self.rate.burst), self.tokens(key) + 1.0)
            self._buckets[key] = (tokens, self._clock())

    def charge(self, key: str) -> None:
        """Take one token. Requests already admitted are charged even from an empty bucket,
        down to one burst of debt, so a burst of concurrent requests waits its turn after."""
        now = self._clock()
        tokens = max(self.tokens(key) - 1.0, -float(self.rate.burst))
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        self._forget_refilled(now)
        while len(self._buckets) > self.max_tracked:
            self._buckets.popitem(last=False)

    def _forget_refilled(self, now: float) -> None:
        """A bucket full again is the same as none: forget those, least recently charged first.

        Memory then follows the keys charged within one refill time (at most 2 x burst / rate
        seconds), not every address that ever sent a request up to `max_tracked` (100,000
        entries, some 25 MB, which a sender with many addresses could fill and leave).
        """
        while self._buckets:
            oldest, (tokens, when) = next(iter(self._buckets.items()))
            if tokens + (now - when) * self.rate.per_second < self.rate.burst:
                return
            del self._buckets[oldest]


def claimed_signing_host(request: web.Request) -> str | None:
    """The canonical host of the keyId the request claims (unverified), if it names one."""
    for header in ("Signature-Input", "Signature"):
        value = request.headers.get(header)
        if value is None:
            continue
        found = _KEY_ID.search(value)
        if found is None:
            continue
        try:
            return canonical_host(found.group(1))
        except ValueError:
            return None
    return None


def client_address(request: web.Request, client_ip_header: str | None) -> str:
    """The client address: the reverse proxy's header when configured, else the peer's."""
    if client_ip_header is not None:
        forwarded = request.headers.get(client_ip_header, "")
        # The proxy appends the address it saw; earlier entries are the client's own claims.
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.remote or "unknown"


def is_inbox_post(request: web.Request) -> bool:
    return request.method == "POST" and _INBOX_PATH.match(request.path) is not None


class InboxRateLimiter:
    """An aiohttp middleware: `app.middlewares.append(InboxRateLimiter(...))`."""

    __middleware_version__ = 1  # a new-style middleware (what @web.middleware marks)

    def __init__(
        self,
        *,
        origin_rate: Rate = Rate(per_second=20.0, burst=200),
        client_rate: Rate = Rate(per_second=2.0, burst=30),
        max_in_flight_per_client: int = 16,
        client_ip_header: str | None = None,
        applies_to: Callable[[web.Request], bool] = is_inbox_post,
        max_tracked: int = 100_000,
        clock: Clock = time.monotonic,
    ) -> None:
        if max_in_flight_per_client < 1:
            raise ValueError("max_in_flight_per_client must be at least 1")
        self.origins = TokenBuckets(origin_rate, max_tracked=max_tracked, clock=clock)
        self.clients = TokenBuckets(client_rate, max_tracked=max_tracked, clock=clock)
        self.max_in_flight_per_client = max_in_flight_per_client
        self.client_ip_header = client_ip_header
        self.applies_to = applies_to
        self._in_flight: dict[str, int] = {}

    def client_of(self, request: web.Request) -> str:
        return client_address(request, self.client_ip_header)

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.applies_to(request):
            return await handler(request)
        client = self.client_of(request)
        claimed = claimed_signing_host(request)
        refusal = self._refusal(client, claimed)
        if refusal is not None:
            return refusal
        in_flight = self._in_flight.get(client, 0)
        if in_flight >= self.max_in_flight_per_client:
            return too_busy(
                503, f"too many concurrent requests from {client}; retry in 1 s", retry_after=1
            )
        self._in_flight[client] = in_flight + 1
        verified_host: str | None = None
        charged = True
        try:
            response = await handler(request)
            verified_host = self._verified_host(request, response)
            return response
        except Exception as error:
            # The 503 of an unreachable database is our fault, not the sender's: charging it
            # would turn a sender's retries during an outage into 429s after the outage.
            charged = not database_unreachable(error)
            raise
        finally:
            self._release(client)
            if charged:
                self._charge(verified_host, client)

    def _refusal(self, client: str, claimed: str | None) -> web.Response | None:
        checks = [(self.clients, client, f"client {client}")]
        if claimed is not None:
            checks.append((self.origins, claimed, claimed))
        for buckets, key, who in checks:
            wait = buckets.wait_time(key)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                return too_busy(429, f"too many requests from {who}; retry in {seconds} s", seconds)
        return None

    def _verified_host(self, request: web.Request, response: web.StreamResponse) -> str | None:
        key_id = request.get(AUTHENTICATED_KEY_ID)
        if key_id is None or not 200 <= response.status < 300:
            return None
        try:
            return canonical_host(key_id)
        except ValueError:
            return None

    def _charge(self, verified_host: str | None, client: str) -> None:
        if verified_host is not None:
            self.origins.charge(verified_host)
        else:
            self.clients.charge(client)

    def _release(self, client: str) -> None:
        remaining = self._in_flight.get(client, 1) - 1
        if remaining > 0:
            self._in_flight[client] = remaining
        else:
            self._in_flight.pop(client, None)


def too_busy(status: int, reason: str, retry_after: int) -> web.Response:
    return web.json_response(
        {"error": reason}, status=status, headers={"Retry-After": str(retry_after)}
    )
