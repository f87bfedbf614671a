"""The inbox rate limiter (SECURITY.md row 17): buckets with a fake clock, then the middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from server.ratelimit import (
    AUTHENTICATED_KEY_ID,
    InboxRateLimiter,
    Rate,
    TokenBuckets,
    claimed_signing_host,
    is_inbox_post,
)
from tests.support import free_port


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("per_second", "burst"), [(0, 1), (-1, 1), (float("inf"), 1), (1, 0)])
def test_rate_must_be_positive(per_second: float, burst: int) -> None:
    with pytest.raises(ValueError, match="Rate"):
        Rate(per_second, burst)


def test_bucket_starts_full_empties_and_refills() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(Rate(per_second=2.0, burst=3), clock=clock)
    for _ in range(3):
        assert buckets.wait_time("a") == 0
        buckets.charge("a")
    assert buckets.wait_time("a") == pytest.approx(0.5)
    assert buckets.wait_time("b") == 0  # other keys are independent
    clock.now += 0.5
    assert buckets.wait_time("a") == 0
    clock.now += 100
    assert buckets.tokens("a") == 3  # never more than the burst


def test_bucket_debt_is_bounded() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(Rate(per_second=1.0, burst=2), clock=clock)
    for _ in range(50):
        buckets.charge("a")
    assert buckets.tokens("a") == -2
    assert buckets.wait_time("a") == pytest.approx(3.0)


def test_buckets_forget_the_least_recently_used() -> None:
    buckets = TokenBuckets(Rate(per_second=1.0, burst=1), max_tracked=2, clock=FakeClock())
    for key in ("a", "b", "c"):
        buckets.charge(key)
    assert len(buckets) == 2
    assert buckets.wait_time("a") == 0  # forgotten, so full again
    assert buckets.wait_time("c") > 0


def test_buckets_that_refilled_are_forgotten() -> None:
    """Issue 14 (memory after fuzzing): one entry per address ever seen stayed until 100,000."""
    clock = FakeClock()
    buckets = TokenBuckets(Rate(per_second=2.0, burst=3), clock=clock)
    for index in range(1000):
        buckets.charge(f"10.0.{index // 256}.{index % 256}")
    buckets.charge("busy")
    buckets.charge("busy")
    clock.now += 0.5  # the others (2 tokens, +1) are full again; "busy" (1 token, +1) is not
    buckets.charge("new")
    assert len(buckets) == 2
    assert buckets.tokens("busy") == pytest.approx(2.0)
    clock.now += 3.0  # 6 tokens' worth: every bucket is full, whatever its debt
    buckets.charge("last")
    assert len(buckets) == 1


@pytest.mark.parametrize(
    ("headers", "host"),
    [
        (
            {"Signature": 'keyId="https://Mastodon.Social./users/a#main-key",algorithm="x"'},
            "mastodon.social",
        ),
        (
            {"Signature-Input": 'sig1=("@method");keyid="https://peer.example:8443/k"'},
            "peer.example:8443",
        ),
        ({"Signature": 'keyId="not a url",signature="x"'}, None),
        ({"Signature": 'keyId="https://a@b/",signature="x"'}, None),
        ({}, None),
    ],
)
def test_claimed_signing_host(headers: dict[str, str], host: str | None) -> None:
    request = make_mocked_request("POST", "/inbox", headers=headers)
    assert claimed_signing_host(request) == host


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/inbox", True),
        ("POST", "/actors/place/inbox", True),
        ("GET", "/inbox", False),
        ("POST", "/actors/place/outbox", False),
        ("POST", "/api/neighbours", False),
    ],
)
def test_is_inbox_post(method: str, path: str, expected: bool) -> None:
    assert is_inbox_post(make_mocked_request(method, path)) is expected


def test_client_address_from_the_proxy_header_is_the_last_entry() -> None:
    limiter = InboxRateLimiter(client_ip_header="X-Forwarded-For")
    request = make_mocked_request(
        "POST", "/inbox", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}
    )
    assert limiter.client_of(request) == "203.0.113.9"


@dataclass
class Served:
    base: str
    limiter: InboxRateLimiter
    clock: FakeClock


async def authenticating_inbox(request: web.Request) -> web.Response:
    """Stands for the real inbox: `X-Test-Status` says the answer, `X-Test-Key` the verified key."""
    status = int(request.headers.get("X-Test-Status", "202"))
    verified = request.headers.get("X-Test-Key")
    if verified is not None:
        request[AUTHENTICATED_KEY_ID] = verified
    return web.json_response({}, status=status)


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    clock = FakeClock()
    limiter = InboxRateLimiter(
        origin_rate=Rate(per_second=1.0, burst=2),
        client_rate=Rate(per_second=0.5, burst=3),
        clock=clock,
    )
    app = web.Application(middlewares=[limiter])
    app.router.add_post("/inbox", authenticating_inbox)
    app.router.add_get("/inbox", authenticating_inbox)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Served(f"http://127.0.0.1:{port}", limiter, clock)
    finally:
        await runner.cleanup()


async def send(
    served: Served, *, key: str | None = None, status: int = 202, method: str = "POST"
) -> tuple[int, str | None, str | None]:
    headers = {"X-Test-Status": str(status)}
    if key is not None:
        headers["Signature"] = f'keyId="{key}",signature="x"'
        if status < 400:
            headers["X-Test-Key"] = key
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{served.base}/inbox", headers=headers) as response,
    ):
        body = await response.json()
        return response.status, body.get("error"), response.headers.get("Retry-After")


async def test_authenticated_traffic_is_limited_per_origin(served: Served) -> None:
    key = "https://peer.example/actors/a#main-key"
    assert [(await send(served, key=key))[0] for _ in range(2)] == [202, 202]
    assert await send(served, key=key) == (
        429,
        "too many requests from peer.example; retry in 1 s",
        "1",
    )
    # Another origin from the same address is not affected.
    assert (await send(served, key="https://other.example/k"))[0] == 202
    served.clock.now += 1
    assert (await send(served, key=key))[0] == 202


async def test_refused_requests_are_charged_to_the_client_not_the_claimed_origin(
    served: Served,
) -> None:
    victim = "https://victim.example/actors/v#main-key"
    for _ in range(3):
        status, _, _ = await send(served, key=victim, status=401)
        assert status == 401
    assert await send(served, key=victim, status=401) == (
        429,
        "too many requests from client 127.0.0.1; retry in 2 s",
        "2",
    )
    # The victim's own bucket is untouched: only the sender's address is throttled.
    assert served.limiter.origins.tokens("victim.example") == 2
    assert served.limiter.clients.tokens("127.0.0.1") <= 0


async def test_unsigned_accepted_requests_are_charged_to_the_client(served: Served) -> None:
    """Like the Delete of an unknown actor: answered 202 without checking any signature."""
    claimed = "https://victim.example/actors/v#main-key"
    for _ in range(3):
        status, _, _ = await send(served, key=None)
        assert status == 202
    status, error, retry = await send(served, key=claimed, status=202)
    assert (status, error, retry) == (
        429,
        "too many requests from client 127.0.0.1; retry in 2 s",
        "2",
    )
    assert served.limiter.origins.tokens("victim.example") == 2


async def test_other_routes_are_not_limited(served: Served) -> None:
    for _ in range(10):
        assert (await send(served, method="GET", status=200))[0] == 200


def test_in_flight_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_in_flight_per_client"):
        InboxRateLimiter(max_in_flight_per_client=0)
