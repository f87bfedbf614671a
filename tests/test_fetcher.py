"""The safe fetcher against real loopback servers (SECURITY.md rows 6, 7, 8, 13, 15, 16)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest
from aiohttp import TCPConnector, web
from aiohttp.abc import AbstractResolver, ResolveResult

from federation import fetcher as fetcher_module
from federation.fetcher import (
    ACTIVITYPUB_ACCEPT,
    AddressRefused,
    BadJson,
    BadResponse,
    BadUrl,
    ConnectionFailed,
    FetchError,
    FetchPolicy,
    FetchTimeout,
    ForbiddenAddress,
    ForbiddenUrl,
    GuardedResolver,
    GuardedSocketFactory,
    HttpStatus,
    IdMismatch,
    RedirectLoop,
    SafeFetcher,
    TooLarge,
    TooManyRedirects,
    WrongContentType,
    canonical_url,
    check_peer_address,
    media_type_accepted,
    parse_json_object,
    parse_media_type,
)
from schemas.jsontext import json_nesting_depth
from tests.support import free_port

AP_TYPE = "application/activity+json"
LD_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Peer:
    """A loopback HTTP server and the requests that reached it."""

    base: str
    port: int
    requests: list[web.Request] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [request.path_qs for request in self.requests]


@contextlib.asynccontextmanager
async def serve(routes: Mapping[str, Handler], host: str = "127.0.0.1") -> AsyncIterator[Peer]:
    peer = Peer(base="", port=0)

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        peer.requests.append(request)
        return await handler(request)

    app = web.Application(middlewares=[record])
    for path, handler in routes.items():
        app.router.add_route("*", path, handler)
    # handler_cancellation lets cleanup stop the slow-drip and stalling handlers at once.
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    peer.port = runner.addresses[0][1]
    peer.base = f"http://{host}:{peer.port}"
    try:
        yield peer
    finally:
        await runner.cleanup()


def document(request: web.Request, **extra: Any) -> dict[str, Any]:
    """A document whose id is the URL it was requested under (Host header included)."""
    return {"id": str(request.url), "type": "Person", **extra}


def json_response(data: Any, content_type: str = AP_TYPE, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type=None,
        headers={"Content-Type": content_type},
    )


async def actor(request: web.Request) -> web.StreamResponse:
    return json_response(document(request, name="Tiers-lieu de Mende"))


def redirect_to(location: str, status: int = 302) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler


def development(**overrides: Any) -> FetchPolicy:
    return FetchPolicy(allow_private_network=True, **overrides)


@pytest.fixture
async def make_fetcher() -> AsyncIterator[Callable[[FetchPolicy], SafeFetcher]]:
    made: list[SafeFetcher] = []

    def make(policy: FetchPolicy, **kwargs: Any) -> SafeFetcher:
        made.append(SafeFetcher(policy, **kwargs))
        return made[-1]

    yield make
    for fetcher in made:
        await fetcher.close()


# --- Private addresses and schemes ------------------------------------------------------------


async def test_loopback_is_refused_before_any_request(make_fetcher: Any) -> None:
    fetcher = make_fetcher(FetchPolicy())
    async with serve({"/actor": actor}) as peer:
        with pytest.raises(ForbiddenUrl, match="plain http"):
            await fetcher.fetch_json_document(f"{peer.base}/actor")
        with pytest.raises(ForbiddenAddress, match=r"127\.0\.0\.1 is a private"):
            await fetcher.fetch_json_document(f"https://127.0.0.1:{peer.port}/actor")
        with pytest.raises(ForbiddenAddress, match="::1 is a private"):
            await fetcher.fetch_json_document(f"https://[::1]:{peer.port}/actor")
        with pytest.raises(ForbiddenAddress, match="resolves only to forbidden addresses"):
            await fetcher.fetch_json_document(f"https://localhost:{peer.port}/actor")
        with pytest.raises(ForbiddenAddress):
            await fetcher.post(f"https://localhost:{peer.port}/inbox", b"{}", {})
        assert peer.requests == []


async def test_documents_fetch_on_a_development_network(make_fetcher: Any) -> None:
    fetcher = make_fetcher(development())
    async with serve({"/actor": actor}) as peer:
        fetched = await fetcher.fetch_json_document(f"{peer.base}/actor#main-key")
    assert fetched.final_url == f"{peer.base}/actor"
    assert fetched.data["name"] == "Tiers-lieu de Mende"
    assert fetched.headers["Content-Type"] == AP_TYPE
    sent = peer.requests[0].headers
    assert sent["Accept"] == ACTIVITYPUB_ACCEPT
    assert sent["Host"] == f"127.0.0.1:{peer.port}"
    assert "Maillage" in sent["User-Agent"]


async def test_host_override_maps_a_test_name_to_loopback(make_fetcher: Any) -> None:
    overrides = {"Mende.TEST": "127.0.0.1"}
    async with serve({"/actor": actor}) as peer:
        url = f"http://mende.test:{peer.port}/actor"
        fetched = await make_fetcher(
            development(host_resolver_overrides=overrides)
        ).fetch_json_document(url)
        assert fetched.data["id"] == url
        assert peer.requests[0].headers["Host"] == f"mende.test:{peer.port}"

        strict = make_fetcher(FetchPolicy(host_resolver_overrides=overrides))
        with pytest.raises(ForbiddenAddress, match=r"mende\.test resolves only to forbidden"):
            await strict.fetch_json_document(f"https://mende.test:{peer.port}/actor")
        assert len(peer.requests) == 1


async def test_own_origin_is_never_fetched(make_fetcher: Any) -> None:
    async with serve({"/actor": actor, "/away": actor}) as peer:
        fetcher = make_fetcher(development(own_origins={f"http://127.0.0.1:{peer.port}/"}))
        with pytest.raises(ForbiddenUrl, match="our own origin"):
            await fetcher.fetch_json_document(f"{peer.base}/actor")
        with pytest.raises(ForbiddenUrl, match="our own origin"):
            await fetcher.post(f"{peer.base}/inbox", b"{}", {})
        assert peer.requests == []


async def test_a_connection_refused_is_a_fetch_error(make_fetcher: Any) -> None:
    with pytest.raises(ConnectionFailed, match="cannot connect"):
        await make_fetcher(development()).fetch_json_document(
            f"http://127.0.0.1:{free_port()}/actor"
        )


# --- Redirects --------------------------------------------------------------------------------


async def test_redirect_to_another_origin_is_followed_and_rechecked(make_fetcher: Any) -> None:
    async with (
        serve({"/actor": actor}) as target,
        serve({"/old": redirect_to(f"{target.base}/actor", 301)}) as origin,
    ):
        fetched = await make_fetcher(development()).fetch_json_document(f"{origin.base}/old")
        assert fetched.final_url == f"{target.base}/actor"

        own = make_fetcher(development(own_origins={target.base}))
        with pytest.raises(ForbiddenUrl, match="our own origin"):
            await own.fetch_json_document(f"{origin.base}/old")
    assert len(target.requests) == 1


@pytest.mark.parametrize(
    ("location", "error", "message"),
    [
        ("ftp://127.0.0.1/actor", BadUrl, "scheme must be http or https"),
        ("file:///etc/passwd", BadUrl, "scheme must be http or https"),
        ("http://user@127.0.0.1/actor", BadUrl, "'@'"),
        ("", BadResponse, "without a Location"),
    ],
)
async def test_bad_redirect_targets(
    make_fetcher: Any, location: str, error: type[FetchError], message: str
) -> None:
    async with serve({"/old": redirect_to(location)}) as peer:
        with pytest.raises(error, match=message):
            await make_fetcher(development()).fetch_json_document(f"{peer.base}/old")


async def test_relative_redirects_and_three_hops_are_fine(make_fetcher: Any) -> None:
    routes = {
        "/r1": redirect_to("/r2"),
        "/r2": redirect_to("r3", 307),
        "/r3": redirect_to("/actor", 308),
    }
    async with serve({**routes, "/actor": actor}) as peer:
        fetched = await make_fetcher(development()).fetch_json_document(f"{peer.base}/r1")
    assert fetched.final_url == f"{peer.base}/actor"
    assert peer.paths == ["/r1", "/r2", "/r3", "/actor"]


async def test_more_than_three_redirects_are_refused(make_fetcher: Any) -> None:
    routes = {f"/r{n}": redirect_to(f"/r{n + 1}") for n in range(1, 5)}
    async with serve({**routes, "/r5": actor}) as peer:
        with pytest.raises(TooManyRedirects, match="more than 3 redirects"):
            await make_fetcher(development()).fetch_json_document(f"{peer.base}/r1")
    assert peer.paths == ["/r1", "/r2", "/r3", "/r4"]


async def test_redirect_loops_are_refused(make_fetcher: Any) -> None:
    async with serve({"/a": redirect_to("/b"), "/b": redirect_to("/a")}) as peer:
        with pytest.raises(RedirectLoop, match="redirects back to"):
            await make_fetcher(development()).fetch_json_document(f"{peer.base}/a")
    assert peer.paths == ["/a", "/b"]


# --- Addresses on later hops, with 127.0.0.1 standing in for the public internet --------------


@pytest.fixture
def loopback_one_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production rules, except that 127.0.0.1 counts as public and plain http is allowed.

    This lets a production policy reach one loopback server while every other address
    (here 127.0.0.2) stays forbidden, so redirects and rebinding can be played for real.
    """

    def forbidden(ip: IPv4Address | IPv6Address) -> bool:
        return str(ip) != "127.0.0.1"

    monkeypatch.setattr(fetcher_module, "is_forbidden_address", forbidden)
    monkeypatch.setattr(FetchPolicy, "allowed_schemes", property(lambda _: {"http", "https"}))


@pytest.mark.usefixtures("loopback_one_is_public")
async def test_redirect_to_a_private_address_is_refused(make_fetcher: Any) -> None:
    async with serve({"/actor": actor}, host="127.0.0.2") as private:
        overrides = {"rebind.test": "127.0.0.2"}
        routes = {
            "/literal": redirect_to(f"{private.base}/actor"),
            "/named": redirect_to(f"http://rebind.test:{private.port}/actor"),
            "/actor": actor,
        }
        async with serve(routes) as public:
            fetcher = make_fetcher(FetchPolicy(host_resolver_overrides=overrides))
            assert (await fetcher.fetch_json_document(f"{public.base}/actor")).data
            with pytest.raises(ForbiddenAddress, match=r"127\.0\.0\.2 is a private"):
                await fetcher.fetch_json_document(f"{public.base}/literal")
            with pytest.raises(ForbiddenAddress, match=r"rebind\.test resolves only to forbidden"):
                await fetcher.fetch_json_document(f"{public.base}/named")
        assert private.requests == []


class RebindingResolver(AbstractResolver):
    """Answers public first, then private: a DNS-rebinding attacker's name server."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self.answers.pop(0)
        return [
            ResolveResult(
                hostname=host, host=address, port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        return None


@pytest.mark.usefixtures("loopback_one_is_public")
async def test_dns_rebinding_is_caught_at_connect_time(
    make_fetcher: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate a resolver whose filtering is bypassed: the socket factory must still refuse.
    monkeypatch.setattr(fetcher_module, "filter_answers", lambda answers, **_: answers)
    async with serve({"/actor": actor}, host="127.0.0.2") as private:
        resolver = RebindingResolver(["127.0.0.1", "127.0.0.2"])
        fetcher = make_fetcher(FetchPolicy(), resolver=resolver)
        fetcher_session_url = f"http://attacker.test:{private.port}/actor"
        # First answer: "public" 127.0.0.1, where nothing listens on that port.
        with pytest.raises(ConnectionFailed):
            await fetcher.fetch_json_document(fetcher_session_url)
        # aiohttp caches answers for a few seconds; a rebinding attacker waits them out.
        connector = fetcher._get_session().connector
        assert isinstance(connector, TCPConnector)
        connector.clear_dns_cache()
        with pytest.raises(ForbiddenAddress, match=r"127\.0\.0\.2 is a private"):
            await fetcher.fetch_json_document(fetcher_session_url)
    assert private.requests == []


@pytest.mark.usefixtures("loopback_one_is_public")
async def test_connected_peer_is_checked_before_the_request_is_sent(
    make_fetcher: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the resolver and the socket factory both bypassed, the connector's check of the
    # connected socket's peer address is the last line, and it must hold on its own.
    monkeypatch.setattr(fetcher_module, "filter_answers", lambda answers, **_: answers)

    def unguarded(self: GuardedSocketFactory, addr_info: tuple[Any, ...]) -> socket.socket:
        family, kind, proto, _, _ = addr_info
        return socket.socket(family=family, type=kind, proto=proto)

    monkeypatch.setattr(GuardedSocketFactory, "__call__", unguarded)
    async with serve({"/inbox": actor}, host="127.0.0.2") as private:
        fetcher = make_fetcher(FetchPolicy(host_resolver_overrides={"sneaky.test": "127.0.0.2"}))
        with pytest.raises(ForbiddenAddress, match=r"connected peer refused: 127\.0\.0\.2"):
            await fetcher.fetch_json_document(f"http://sneaky.test:{private.port}/inbox")
        with pytest.raises(ForbiddenAddress, match="connected peer refused"):
            await fetcher.post(f"http://sneaky.test:{private.port}/inbox", b"{}", {})
    assert private.requests == []


# --- Size, time, encoding ---------------------------------------------------------------------


async def test_streamed_body_over_the_cap_is_refused(make_fetcher: Any) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": AP_TYPE})
        await response.prepare(request)  # chunked: no Content-Length to trust or distrust
        with contextlib.suppress(ConnectionError):
            for _ in range(64):
                await response.write(b" " * 16384)
        return response

    async with serve({"/big": endless}) as peer:
        with pytest.raises(TooLarge, match="exceeds the limit of 65536"):
            await make_fetcher(development(max_bytes=65536)).fetch_json_document(f"{peer.base}/big")


async def test_declared_length_over_the_cap_is_refused(make_fetcher: Any) -> None:
    async def big(request: web.Request) -> web.StreamResponse:
        return json_response(document(request, padding="x" * 70000))

    async with serve({"/big": big}) as peer:
        with pytest.raises(TooLarge, match="Content-Length"):
            await make_fetcher(development(max_bytes=65536)).fetch_json_document(f"{peer.base}/big")


def compressed(encoding: str, payload: bytes) -> bytes:
    return gzip.compress(payload) if encoding == "gzip" else zlib.compress(payload)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_documents_are_decoded(make_fetcher: Any, encoding: str) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = compressed(encoding, json.dumps(document(request)).encode())
        return web.Response(
            body=body, headers={"Content-Type": AP_TYPE, "Content-Encoding": encoding}
        )

    async with serve({"/actor": handler}) as peer:
        fetched = await make_fetcher(development()).fetch_json_document(f"{peer.base}/actor")
    assert fetched.data["type"] == "Person"
    assert peer.requests[0].headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compression_bomb_is_refused(make_fetcher: Any, encoding: str) -> None:
    # 16 MiB of spaces inside valid JSON: about 16 KiB on the wire, far under the 1 MiB cap.
    bomb = compressed(encoding, b'{"id": "x", "pad": "' + b" " * (16 * 1024 * 1024) + b'"}')
    assert len(bomb) < 1024 * 1024

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=bomb, headers={"Content-Type": AP_TYPE, "Content-Encoding": encoding}
        )

    async with serve({"/bomb": handler}) as peer:
        with pytest.raises(TooLarge, match="decompressed body exceeds"):
            await make_fetcher(development()).fetch_json_document(f"{peer.base}/bomb")


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("br", b"whatever", "unsupported Content-Encoding"),
        ("gzip", b"not gzip at all", "corrupt compressed body"),
        ("gzip", gzip.compress(b'{"id": 1}')[:-12], "ends before its end marker"),
        ("gzip", gzip.compress(b"{}") + b"trailing", "data after the end"),
    ],
)
async def test_broken_encodings_are_refused(
    make_fetcher: Any, encoding: str, body: bytes, message: str
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=body, headers={"Content-Type": AP_TYPE, "Content-Encoding": encoding}
        )

    async with serve({"/x": handler}) as peer:
        with pytest.raises(BadResponse, match=message):
            await make_fetcher(development()).fetch_json_document(f"{peer.base}/x")


async def test_slow_drip_hits_the_total_deadline(make_fetcher: Any) -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": AP_TYPE})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            while True:  # one byte every 50 ms: never idle long enough for the read timeout
                await response.write(b" ")
                await asyncio.sleep(0.05)
        return response

    policy = development(total_timeout=1.0, read_timeout=5.0)
    async with serve({"/drip": drip}) as peer:
        with pytest.raises(FetchTimeout, match=r"total deadline of 1\.0 s"):
            await make_fetcher(policy).fetch_json_document(f"{peer.base}/drip")


async def test_a_silent_peer_hits_the_read_timeout(make_fetcher: Any) -> None:
    async def stall(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": AP_TYPE})
        await response.prepare(request)
        await asyncio.Event().wait()  # cancelled by the server's cleanup
        return response

    policy = development(total_timeout=30.0, read_timeout=0.2)
    async with serve({"/stall": stall}) as peer:
        with pytest.raises(FetchTimeout, match="read"):
            await make_fetcher(policy).fetch_json_document(f"{peer.base}/stall")


# --- Content type, status, JSON, id -----------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        AP_TYPE,
        "application/activity+json; charset=utf-8",
        LD_TYPE,
        'Application/LD+JSON;profile="https://www.w3.org/ns/activitystreams https://example.org/x"',
    ],
)
async def test_activitypub_media_types_are_accepted(make_fetcher: Any, content_type: str) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return json_response(document(request), content_type)

    async with serve({"/actor": handler}) as peer:
        assert (await make_fetcher(development()).fetch_json_document(f"{peer.base}/actor")).data


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html",
        "application/json",
        "application/ld+json",
        'application/ld+json; profile="https://example.org/not-activitystreams"',
        "image/png",
        "",
    ],
)
async def test_other_media_types_are_refused(make_fetcher: Any, content_type: str) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return json_response(document(request), content_type)

    async with serve({"/upload": handler}) as peer:
        with pytest.raises(WrongContentType, match="is not one of"):
            await make_fetcher(development()).fetch_json_document(f"{peer.base}/upload")


async def test_lenient_mode_accepts_plain_json_ld(make_fetcher: Any) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return json_response(document(request), "application/ld+json")

    async with serve({"/doc": handler}) as peer:
        fetcher = make_fetcher(development())
        fetched = await fetcher.fetch_json_document(f"{peer.base}/doc", accept_activitypub=False)
    assert fetched.data["type"] == "Person"


async def test_discovery_documents(make_fetcher: Any) -> None:
    async def webfinger(request: web.Request) -> web.StreamResponse:
        return json_response({"subject": "acct:place@mende.test"}, "application/jrd+json")

    async with serve({"/.well-known/webfinger": webfinger, "/actor": actor}) as peer:
        fetcher = make_fetcher(development())
        found = await fetcher.fetch_json(
            f"{peer.base}/.well-known/webfinger?resource=acct:place@mende.test"
        )
        assert found.data["subject"] == "acct:place@mende.test"
        assert peer.requests[0].headers["Accept"] == "application/jrd+json, application/json"
        with pytest.raises(WrongContentType):
            await fetcher.fetch_json(f"{peer.base}/actor")


async def test_error_statuses_carry_the_status(make_fetcher: Any) -> None:
    async def gone(request: web.Request) -> web.StreamResponse:
        return web.Response(status=410)

    async with serve({"/gone": gone}) as peer:
        with pytest.raises(HttpStatus, match="HTTP status 410") as raised:
            await make_fetcher(development()).fetch_json_document(f"{peer.base}/gone")
    assert raised.value.status == 410


async def test_deep_nesting_is_refused(make_fetcher: Any) -> None:
    async def deep(request: web.Request) -> web.StreamResponse:
        body = f'{{"id": "{request.url}", "x": {"[" * 5000}{"]" * 5000}}}'
        return web.Response(body=body.encode(), headers={"Content-Type": AP_TYPE})

    async with serve({"/deep": deep}) as peer:
        with pytest.raises(BadJson, match="nesting depth 5001 exceeds the limit of 32"):
            await make_fetcher(development()).fetch_json_document(f"{peer.base}/deep")


async def test_id_must_be_the_final_url(make_fetcher: Any) -> None:
    async def liar(request: web.Request) -> web.StreamResponse:
        # Claims to be /victim, which says it is someone else again.
        return json_response({"id": f"{request.url.origin()}/victim", "type": "Person"})

    async def victim(request: web.Request) -> web.StreamResponse:
        return json_response({"id": f"{request.url.origin()}/elsewhere", "type": "Person"})

    async def anonymous(request: web.Request) -> web.StreamResponse:
        return json_response({"type": "Person"})

    async with serve({"/liar": liar, "/victim": victim, "/anonymous": anonymous}) as peer:
        fetcher = make_fetcher(development())
        with pytest.raises(IdMismatch, match="/elsewhere"):
            await fetcher.fetch_json_document(f"{peer.base}/liar")
        assert peer.paths == ["/liar", "/victim"]  # one refetch by id, no more
        with pytest.raises(IdMismatch, match="no string `id`"):
            await fetcher.fetch_json_document(f"{peer.base}/anonymous")


async def test_a_document_is_refetched_by_its_id(make_fetcher: Any) -> None:
    async with serve({"/actor": actor}) as home:

        async def copy(request: web.Request) -> web.StreamResponse:
            return json_response({"id": f"{home.base}/actor", "name": "a stale or forged copy"})

        async with serve({"/copy": copy}) as mirror:
            fetched = await make_fetcher(development()).fetch_json_document(f"{mirror.base}/copy")
    assert fetched.final_url == f"{home.base}/actor"
    assert fetched.data["name"] == "Tiers-lieu de Mende"


async def test_an_id_spelled_differently_still_matches(make_fetcher: Any) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return json_response({"id": f"HTTP://LOCALHOST.:{request.url.port}/actor"})

    async with serve({"/actor": handler}) as peer:
        fetcher = make_fetcher(development())
        fetched = await fetcher.fetch_json_document(f"http://localhost:{peer.port}/actor")
    assert fetched.final_url == f"http://localhost:{peer.port}/actor"
    assert len(peer.requests) == 1


async def test_signer_is_called_on_every_hop(make_fetcher: Any) -> None:
    calls: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def sign(
        method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> dict[str, str]:
        calls.append((method, url, dict(headers), body))
        return {"Signature": f"signed {url}"}

    async with serve({"/old": redirect_to("/actor"), "/actor": actor}) as peer:
        await make_fetcher(development()).fetch_json_document(f"{peer.base}/old", sign=sign)
    assert [call[1] for call in calls] == [f"{peer.base}/old", f"{peer.base}/actor"]
    assert calls[0][0] == "GET"
    assert calls[0][2]["Host"] == f"127.0.0.1:{peer.port}"
    assert calls[0][2]["Accept"] == ACTIVITYPUB_ACCEPT
    assert [r.headers["Signature"] for r in peer.requests] == [f"signed {c[1]}" for c in calls]


# --- Deliveries -------------------------------------------------------------------------------


async def test_post_returns_the_status_and_a_small_body(make_fetcher: Any) -> None:
    async def inbox(request: web.Request) -> web.StreamResponse:
        assert await request.read() == b'{"type": "Follow"}'
        return web.Response(status=202, body=b"x" * 200_000)

    async with serve({"/inbox": inbox, "/moved": redirect_to("/inbox", 307)}) as peer:
        fetcher = make_fetcher(development())
        answer = await fetcher.post(
            f"{peer.base}/inbox", b'{"type": "Follow"}', {"Content-Type": AP_TYPE}
        )
        assert answer.status == 202
        assert len(answer.body) == 64 * 1024
        status, _headers, _body = await fetcher.post(f"{peer.base}/moved", b"{}", {})
        assert status == 307
    assert peer.paths == ["/inbox", "/moved"]
    assert peer.requests[0].headers["Content-Type"] == AP_TYPE


# --- Pure parts -------------------------------------------------------------------------------


def test_peer_address_check() -> None:
    check_peer_address(("93.184.216.34", 443), allow_private_network=False)
    check_peer_address(("2606:4700::1", 443, 0, 0), allow_private_network=False)
    check_peer_address(("127.0.0.1", 443), allow_private_network=True)
    for peername in [
        ("127.0.0.1", 443),
        ("10.1.2.3", 443),
        ("::ffff:127.0.0.1", 443, 0, 0),
        ("fe80::1%eth0", 443, 0, 2),
        ("64:ff9b::a9fe:a9fe", 80, 0, 0),
        None,
        "/run/socket",
        ("not-an-ip", 80),
    ]:
        with pytest.raises(ForbiddenAddress):
            check_peer_address(peername, allow_private_network=False, url="https://x.test/")


def test_socket_factory_refuses_forbidden_sockaddrs() -> None:
    factory = GuardedSocketFactory(allow_private_network=False)
    with pytest.raises(AddressRefused, match=r"169\.254\.169\.254 is a private"):
        factory((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 80)))
    with pytest.raises(AddressRefused, match="::1 is a private"):
        factory((socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 80, 0, 0)))
    allowed = factory((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)))
    allowed.close()
    open_to_all = GuardedSocketFactory(allow_private_network=True)
    open_to_all((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))).close()


async def test_resolver_drops_forbidden_answers() -> None:
    class Fixed(RebindingResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            return [
                ResolveResult(
                    hostname=host, host=a, port=port, family=socket.AF_INET, proto=0, flags=0
                )
                for a in self.answers
            ]

    guarded = GuardedResolver(FetchPolicy(), Fixed(["10.0.0.1", "93.184.216.34", "127.0.0.1"]))
    assert [answer["host"] for answer in await guarded.resolve("mixed.test", 443)] == [
        "93.184.216.34"
    ]
    private_only = GuardedResolver(FetchPolicy(), Fixed(["10.0.0.1", "::1"]))
    with pytest.raises(AddressRefused, match=r"only to forbidden addresses \(10.0.0.1, ::1\)"):
        await private_only.resolve("private.test", 443)
    overridden = GuardedResolver(
        development(host_resolver_overrides={"mende.test": "::1"}), Fixed([])
    )
    [answer] = await overridden.resolve("MENDE.test.", 8001)
    assert (answer["host"], answer["port"], answer["family"]) == ("::1", 8001, socket.AF_INET6)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Example.ORG.:443/users/a#main-key", "https://example.org/users/a"),
        ("https://example.org", "https://example.org/"),
        ("https://bücher.example/é?q=ü", "https://xn--bcher-kva.example/%C3%A9?q=%C3%BC"),
        ("http://localhost:8080/a%2Fb?x=1&y=2", "http://localhost:8080/a%2Fb?x=1&y=2"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_refuses_non_http() -> None:
    with pytest.raises(BadUrl, match="scheme must be http or https"):
        canonical_url("javascript:alert(1)")


def test_media_type_parsing() -> None:
    assert parse_media_type('Application/LD+JSON ; Profile="a b"; charset=UTF-8') == (
        "application/ld+json",
        {"profile": "a b", "charset": "UTF-8"},
    )
    assert parse_media_type('text/plain; x="a\\"b;c"') == ("text/plain", {"x": 'a"b;c'})
    assert not media_type_accepted(None, [AP_TYPE])
    assert not media_type_accepted("application/activity+jsonx", [AP_TYPE])


def test_json_limits() -> None:
    assert json_nesting_depth('{"a": "[[[[{{{{", "b": [1, {"c": []}]}') == 4
    assert json_nesting_depth('"\\"[["') == 0

    def parse(body: bytes, max_keys: int = 100) -> dict[str, Any]:
        return parse_json_object(body, url="u", max_depth=4, max_keys=max_keys)

    assert parse(b'{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    for body, message in [
        (b'{"a": [[[[1]]]]}', "nesting depth 5"),
        (b'{"id": "a", "id": "b"}', "duplicate keys"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": -Infinity}', "-Infinity"),
        (b'{"a": 1e999}', "out of range"),
        (b"[1, 2]", "expected a JSON object, got list"),
        (b'{"a": 1', "not valid JSON"),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b"", "not valid JSON"),
    ]:
        with pytest.raises(BadJson, match=message):
            parse(body)
    with pytest.raises(BadJson, match="more than 3 keys"):
        parse(b'{"a": {"b": 1, "c": 2}, "d": 3}', max_keys=3)


def test_policy_validation() -> None:
    policy = FetchPolicy(
        own_origins={"https://Mende.Example.org:443/"},
        host_resolver_overrides={"Mende.TEST.": "127.000.0.1".replace("000", "0")},
    )
    assert policy.own_origins == frozenset({"https://mende.example.org"})
    assert dict(policy.host_resolver_overrides) == {"mende.test": "127.0.0.1"}
    assert policy.allowed_schemes == frozenset({"https"})
    assert development().allowed_schemes == frozenset({"http", "https"})
    with pytest.raises(ValueError, match="without a port"):
        FetchPolicy(host_resolver_overrides={"mende.test:8001": "127.0.0.1"})
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        FetchPolicy(host_resolver_overrides={"mende.test": "localhost"})
    with pytest.raises(ValueError, match="max_bytes must be positive"):
        FetchPolicy(max_bytes=0)
    with pytest.raises(ValueError, match="max_redirects must not be negative"):
        FetchPolicy(max_redirects=-1)
