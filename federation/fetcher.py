"""The one way a node fetches remote documents and delivers to remote inboxes.

Every URL a stranger names (actor, key, inbox, icon, WebFinger, NodeInfo) goes through
`SafeFetcher`, which enforces SECURITY.md rows 6, 7, 8, 13, 15 and 16 in one place:

- the address of the peer is checked on every hop (rows 8 and 13), in three layers: the
  resolver drops forbidden answers; the socket factory refuses the exact sockaddr handed to
  connect(), so not even a SYN reaches an internal host when aiohttp skips the resolver (IP
  literals) or an answer slips through; and the connector checks the connected socket's
  peer address before a single byte of the request is written, for new and pooled
  connections alike. No DNS answer sits between the last two checks and the socket, so DNS
  rebinding has nothing to rebind;
- https only unless the policy is for development; our own origins are never fetched;
- redirects are followed by hand, at most `max_redirects`, each hop re-checked, loops refused;
- one total deadline covers every hop and the body, besides the per-read timeout, because
  aiohttp's default total of 300 s lets a slow-drip peer hold a worker (Mastodon CVE-2023-36461);
- bodies are capped while streaming, both on the wire and after decompression, whatever
  Content-Length says; JSON is capped in nesting depth and key count before it is trusted;
- an ActivityPub document must come with an ActivityPub media type and carry as `id` the URL
  it was fetched from, else it is refetched once by its id (Mastodon CVE-2024-23832).

Every failure is a `FetchError` subclass; no aiohttp or asyncio exception leaks out.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import re
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_address
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.connector import Connection
from aiohttp.tracing import Trace
from yarl import URL

from federation.hosts import InvalidHost, InvalidUrl, canonical_host, origin_of, split_host_port
from federation.netguard import IPAddress, is_forbidden_address
from schemas.errors import UntrustedJsonError
from schemas.jsontext import load_json

MIB = 1024 * 1024
AS_PROFILE = "https://www.w3.org/ns/activitystreams"
ACTIVITYPUB_MEDIA_TYPES = (
    "application/activity+json",
    f'application/ld+json; profile="{AS_PROFILE}"',
)
ACTIVITYPUB_ACCEPT = ", ".join(ACTIVITYPUB_MEDIA_TYPES)
# Only for callers that knowingly accept JSON-LD without the ActivityStreams profile.
LENIENT_JSON_MEDIA_TYPES = ("application/ld+json", "application/json")
DISCOVERY_MEDIA_TYPES = ("application/jrd+json", "application/json")  # WebFinger, NodeInfo
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
POST_RESPONSE_LIMIT = 64 * 1024  # a delivery only needs the status; keep a little for logs
MAX_CONNECTIONS = 100  # connections open at once over all hosts (the delivery worker matches it)
_REFUSAL_MARK = "refused by Maillage's address guard"

# (method, url, headers about to be sent, body) -> extra headers, e.g. a signature.
Signer = Callable[[str, str, Mapping[str, str], bytes | None], Mapping[str, str]]


class FetchError(Exception):
    """A remote document could not be fetched safely; `url` is the hop that failed."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class RefusedHost(FetchError):
    """The node's moderation refuses this host (suspended, or outside limited federation)."""


class BadUrl(FetchError):
    """The URL is malformed, or not http(s), or names no host we can canonicalise."""


class ForbiddenUrl(FetchError):
    """The URL is well formed but the policy forbids it: plain http, or one of our origins."""


class ForbiddenAddress(FetchError):
    """The host resolves to, or the socket would reach, a private or special-purpose address."""


class ConnectionFailed(FetchError):
    """DNS failure, refused connection, TLS failure or a connection dropped mid-response."""


class FetchTimeout(FetchError):
    """The total deadline passed, or the peer sent nothing for longer than the read timeout."""


class TooLarge(FetchError):
    """The body, on the wire or decompressed, is larger than the policy allows."""


class TooManyRedirects(FetchError):
    """More redirects than the policy allows."""


class RedirectLoop(TooManyRedirects):
    """A redirect pointed back to a URL already visited during this fetch."""


class BadResponse(FetchError):
    """A malformed response: redirect without Location, unknown or corrupt Content-Encoding."""


class WrongContentType(FetchError):
    """The response's media type is not one the caller accepts (SECURITY.md row 7)."""


class BadJson(FetchError):
    """The body is not a JSON object within the depth and key-count limits."""


class IdMismatch(FetchError):
    """The document's `id` is not the URL it was fetched from, even after refetching by id."""


class HttpStatus(FetchError):
    """The peer answered with a status other than 2xx (redirects are followed first)."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, f"HTTP status {status}")
        self.status = status


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits of one fetcher. Defaults are Mastodon's (1 MiB, 30 s, 3 redirects)."""

    # Development only: allows loopback and private targets and plain http.
    allow_private_network: bool = False
    max_bytes: int = MIB
    total_timeout: float = 30.0
    read_timeout: float = 10.0
    connect_timeout: float = 10.0
    max_redirects: int = 3
    own_origins: Collection[str] = frozenset()
    # Stable test names (e.g. `mende.test`) to IP addresses, bypassing DNS but not the checks.
    host_resolver_overrides: Mapping[str, str] = field(default_factory=dict)
    # The node's moderation (domain policies, limited federation): True for a canonical host
    # nothing may be fetched from or posted to. Checked before any I/O, redirects included.
    refuses_host: Callable[[str], bool] | None = None
    max_json_depth: int = 32
    max_json_keys: int = 10_000
    user_agent: str = "Maillage/0.1 (ActivityPub; +https://www.w3.org/TR/activitypub/)"

    def __post_init__(self) -> None:
        for name in ("max_bytes", "total_timeout", "read_timeout", "connect_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchPolicy.{name} must be positive")
        for name in ("max_redirects", "max_json_depth", "max_json_keys"):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchPolicy.{name} must not be negative")
        origins = frozenset(origin_of(origin) for origin in self.own_origins)
        object.__setattr__(self, "own_origins", origins)
        overrides = {
            _override_key(name): str(ip_address(address))
            for name, address in self.host_resolver_overrides.items()
        }
        object.__setattr__(self, "host_resolver_overrides", MappingProxyType(overrides))

    @property
    def allowed_schemes(self) -> frozenset[str]:
        return frozenset({"http", "https"} if self.allow_private_network else {"https"})


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    final_url: str
    data: dict[str, Any]
    headers: Mapping[str, str]


class PostResponse(NamedTuple):
    status: int
    headers: Mapping[str, str]
    body: bytes  # at most POST_RESPONSE_LIMIT bytes, possibly truncated


# --- Addresses --------------------------------------------------------------------------------


class AddressRefused(OSError):
    """Raised inside aiohttp's connector; an OSError so that aiohttp wraps it as it expects."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EACCES, f"{_REFUSAL_MARK}: {message}")


def address_of(peername: object) -> IPAddress | None:
    """The IP address in a socket address tuple (`peername` or a connect() sockaddr)."""
    if not isinstance(peername, tuple) or not peername or not isinstance(peername[0], str):
        return None
    # Link-local IPv6 peers carry a zone (`fe80::1%eth0`) that ip_address() does not parse.
    host = peername[0].split("%", 1)[0]
    try:
        return ip_address(host)
    except ValueError:
        return None


def refusal_reason(peername: object, *, allow_private_network: bool) -> str | None:
    """Why a connection to `peername` is refused, or None if it is allowed."""
    address = address_of(peername)
    if address is None:
        return f"cannot tell the peer address from {peername!r}"
    if allow_private_network or not is_forbidden_address(address):
        return None
    return f"{address} is a private or special-purpose address"


def check_peer_address(peername: object, *, allow_private_network: bool, url: str = "") -> None:
    """Raise `ForbiddenAddress` unless the connected peer is an allowed address."""
    reason = refusal_reason(peername, allow_private_network=allow_private_network)
    if reason is not None:
        raise ForbiddenAddress(url, reason)


def filter_answers(
    answers: list[ResolveResult], *, allow_private_network: bool
) -> list[ResolveResult]:
    """The DNS answers a connection may use."""
    return [
        answer
        for answer in answers
        if refusal_reason(
            (answer["host"], answer["port"]), allow_private_network=allow_private_network
        )
        is None
    ]


class GuardedResolver(AbstractResolver):
    """Applies the test-name overrides, then drops every forbidden answer."""

    def __init__(self, policy: FetchPolicy, inner: AbstractResolver) -> None:
        self._policy = policy
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        override = self._policy.host_resolver_overrides.get(_override_key(host))
        if override is not None:
            answers = [_answer(host, override, port)]
        else:
            answers = await self._inner.resolve(host, port, family)
        allowed = filter_answers(answers, allow_private_network=self._policy.allow_private_network)
        if not allowed:
            found = ", ".join(answer["host"] for answer in answers) or "nothing"
            raise AddressRefused(f"{host} resolves only to forbidden addresses ({found})")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


class GuardedSocketFactory:
    """aiohttp's socket factory: sees the exact sockaddr that connect() will be given."""

    def __init__(self, *, allow_private_network: bool) -> None:
        self._allow_private_network = allow_private_network

    def __call__(self, addr_info: tuple[Any, ...]) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        reason = refusal_reason(sockaddr, allow_private_network=self._allow_private_network)
        if reason is not None:
            raise AddressRefused(reason)
        return socket.socket(family=family, type=kind, proto=proto)


class GuardedConnector(aiohttp.TCPConnector):
    """Checks the connected peer of every connection it hands out, pooled ones included."""

    def __init__(self, *, allow_private_network: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._allow_private_network = allow_private_network

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 (aiohttp's own signature)
    ) -> Connection:
        connection = await super().connect(req, traces, timeout)
        transport = connection.transport
        peername = transport.get_extra_info("peername") if transport is not None else None
        reason = refusal_reason(peername, allow_private_network=self._allow_private_network)
        if reason is not None:
            connection.close()
            # Not an OSError: aiohttp lets other exceptions through unchanged.
            raise ForbiddenAddress(str(req.url), f"connected peer refused: {reason}")
        return connection


def _override_key(host: str) -> str:
    try:
        key = canonical_host(host)
    except InvalidHost as error:
        raise ValueError(f"bad host name in host_resolver_overrides: {error}") from error
    if split_host_port(key)[1] is not None:
        raise ValueError(f"host_resolver_overrides takes host names without a port, got {host!r}")
    return key


def _answer(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return ResolveResult(
        hostname=host,
        host=address,
        port=port,
        family=family,
        proto=0,
        flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
    )


# --- URLs and media types ---------------------------------------------------------------------


def canonical_url(url: str) -> str:
    """The form in which the fetcher requests an http(s) URL and compares document ids.

    Canonical origin (see `federation.hosts`), path and query percent-encoded the way they
    go on the wire, no fragment (fragments are never sent, so `actor#main-key` is fetched
    as `actor`).
    """
    try:
        origin = origin_of(url)
    except InvalidUrl as error:
        raise BadUrl(url, str(error)) from error
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return str(URL(f"{origin}{parts.path or '/'}{query}"))


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """`type/subtype` in lowercase and the parameters (names lowercase, quotes removed)."""
    main, _, _ = value.partition(";")
    parameters: dict[str, str] = {}
    position = len(main)
    while match := _PARAMETER.match(value, position):
        raw = match[2]
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        parameters[match[1].lower()] = raw
        position = match.end()
    return main.strip().lower(), parameters


_PARAMETER = re.compile(r';\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^";\s]*)\s*')


def media_type_accepted(content_type: str | None, accepted: Collection[str]) -> bool:
    """Whether a Content-Type matches one of `accepted`; a `profile` there must be listed."""
    if not content_type:
        return False
    kind, parameters = parse_media_type(content_type)
    offered_profiles = set(parameters.get("profile", "").split())
    for candidate in accepted:
        wanted_kind, wanted = parse_media_type(candidate)
        if wanted_kind != kind:
            continue
        # `profile` is a space-separated list of URIs (RFC 6906); ours must be among them.
        if set(wanted.get("profile", "").split()) <= offered_profiles:
            return True
    return False


# --- Bodies and JSON --------------------------------------------------------------------------


class _BodyDecoder:
    """Undoes Content-Encoding chunk by chunk, never producing more than it is allowed."""

    def __init__(self, content_encoding: str | None, url: str) -> None:
        self._url = url
        encoding = (content_encoding or "identity").strip().lower()
        self._zlib: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding != "identity":
            raise BadResponse(url, f"unsupported Content-Encoding {content_encoding!r}")

    def feed(self, chunk: bytes, room: int) -> bytes:
        """Decoded bytes of `chunk`; more than `room` of them means the cap is exceeded."""
        if self._zlib is None:
            return chunk
        try:
            # max_length bounds the output of this one call: a bomb stops at room + 1 bytes.
            return bytes(self._zlib.decompress(chunk, room + 1))
        except zlib.error as error:
            raise BadResponse(self._url, f"corrupt compressed body ({error})") from error

    def finish(self) -> None:
        if self._zlib is None:
            return
        if not self._zlib.eof:
            raise BadResponse(self._url, "compressed body ends before its end marker")
        if self._zlib.unused_data:
            raise BadResponse(self._url, "data after the end of the compressed body")


async def read_capped_body(response: aiohttp.ClientResponse, url: str, limit: int) -> bytes:
    """The decoded body, refusing more than `limit` bytes on the wire or once decoded."""
    declared = response.content_length
    if declared is not None and declared > limit:
        raise TooLarge(url, f"Content-Length {declared} exceeds the limit of {limit} bytes")
    decoder = _BodyDecoder(response.headers.get("Content-Encoding"), url)
    received = 0
    body = bytearray()
    async for chunk in response.content.iter_any():
        received += len(chunk)
        if received > limit:
            raise TooLarge(url, f"body exceeds the limit of {limit} bytes")
        body += decoder.feed(chunk, limit - len(body))
        if len(body) > limit:
            raise TooLarge(url, f"decompressed body exceeds the limit of {limit} bytes")
    decoder.finish()
    return bytes(body)


def parse_json_object(body: bytes, *, url: str, max_depth: int, max_keys: int) -> dict[str, Any]:
    """A JSON object within the limits (schemas.jsontext reads it: UTF-8, depth, unique keys)."""
    try:
        data = load_json(body, max_depth=max_depth, max_keys=max_keys)
    except UntrustedJsonError as error:
        raise BadJson(url, error.reason) from None
    if not isinstance(data, dict):
        raise BadJson(url, f"expected a JSON object, got {type(data).__name__}")
    return data


# --- The fetcher ------------------------------------------------------------------------------


class SafeFetcher:
    """Fetches JSON documents and posts deliveries under one `FetchPolicy`.

    Owns one aiohttp session, created on first use inside the running loop; close it with
    `close()` or use the fetcher as an async context manager. `resolver` is the DNS resolver
    to wrap (aiohttp's threaded getaddrinfo by default); its answers are checked like any.
    `ssl_context` replaces the default certificate verification (for a private CA).
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolver: AbstractResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._inner_resolver = resolver
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def fetch_json_document(
        self, url: str, *, sign: Signer | None = None, accept_activitypub: bool = True
    ) -> FetchedDocument:
        """An ActivityPub document whose `id` is the URL it was finally fetched from.

        If the id differs, the document is refetched once by its id and must then match;
        the whole exchange shares one deadline. `accept_activitypub=False` also accepts
        JSON-LD without the ActivityStreams profile and plain JSON: never for actors, keys
        or objects, which SECURITY.md row 7 requires to be served as ActivityPub.
        """
        accepted: tuple[str, ...] = ACTIVITYPUB_MEDIA_TYPES
        if not accept_activitypub:
            accepted += LENIENT_JSON_MEDIA_TYPES
        async with self._deadline(url):
            document = await self._get_json(url, accepted, sign)
            claimed = _claimed_id(document)
            if claimed == document.final_url:
                return document
            refetched = await self._get_json(claimed, accepted, sign)
            if _claimed_id(refetched) == refetched.final_url:
                return refetched
            raise IdMismatch(
                refetched.final_url,
                f"document id {refetched.data.get('id')!r} is not the URL it was fetched from",
            )

    async def fetch_json(
        self,
        url: str,
        *,
        accepted_types: Collection[str] = DISCOVERY_MEDIA_TYPES,
        sign: Signer | None = None,
    ) -> FetchedDocument:
        """A JSON object of one of `accepted_types`, without the id rule (WebFinger, NodeInfo)."""
        async with self._deadline(url):
            return await self._get_json(url, tuple(accepted_types), sign)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> PostResponse:
        """Deliver `body`; redirects are not followed, any status is returned to the caller."""
        async with self._deadline(url):
            target = self._checked_target(url)
            sent = {**self._base_headers(target), "Accept-Encoding": "identity", **headers}
            try:
                async with self._get_session().post(
                    URL(target, encoded=True), data=body, headers=sent, allow_redirects=False
                ) as response:
                    answer = await _read_prefix(response, POST_RESPONSE_LIMIT)
                    return PostResponse(response.status, response.headers, answer)
            except (aiohttp.ClientError, OSError) as error:
                raise self._translate(error, target) from error

    # --- internals ----------------------------------------------------------------------------

    async def _get_json(
        self, url: str, accepted: tuple[str, ...], sign: Signer | None
    ) -> FetchedDocument:
        final_url, headers, body = await self._get(url, accepted, sign)
        data = parse_json_object(
            body,
            url=final_url,
            max_depth=self.policy.max_json_depth,
            max_keys=self.policy.max_json_keys,
        )
        return FetchedDocument(final_url=final_url, data=data, headers=headers)

    async def _get(
        self, url: str, accepted: tuple[str, ...], sign: Signer | None
    ) -> tuple[str, Mapping[str, str], bytes]:
        visited: set[str] = set()
        current = self._checked_target(url)
        while True:
            visited.add(current)
            outcome = await self._get_one_hop(current, accepted, sign)
            if isinstance(outcome, tuple):
                return outcome
            if outcome in visited:
                raise RedirectLoop(current, f"redirects back to {outcome}")
            if len(visited) > self.policy.max_redirects:
                raise TooManyRedirects(
                    current, f"more than {self.policy.max_redirects} redirects (next: {outcome})"
                )
            current = self._checked_target(outcome)

    async def _get_one_hop(
        self, url: str, accepted: tuple[str, ...], sign: Signer | None
    ) -> tuple[str, Mapping[str, str], bytes] | str:
        """The final (url, headers, body), or the canonical URL a redirect points to."""
        headers = self._base_headers(url)
        headers["Accept"] = ", ".join(accepted)
        headers["Accept-Encoding"] = "gzip, deflate"
        if sign is not None:
            # Signed per hop: a signature covers the target URL and host, which change.
            headers.update(sign("GET", url, MappingProxyType(dict(headers)), None))
        try:
            async with self._get_session().get(
                URL(url, encoded=True), headers=headers, allow_redirects=False
            ) as response:
                if response.status in REDIRECT_STATUSES:
                    return _redirect_target(response, url)
                if not 200 <= response.status < 300:
                    raise HttpStatus(url, response.status)
                content_type = response.headers.get("Content-Type")
                if not media_type_accepted(content_type, accepted):
                    raise WrongContentType(
                        url, f"Content-Type {content_type!r} is not one of {', '.join(accepted)}"
                    )
                body = await read_capped_body(response, url, self.policy.max_bytes)
                return url, response.headers, body
        except (aiohttp.ClientError, OSError) as error:
            raise self._translate(error, url) from error

    def _checked_target(self, url: str) -> str:
        """The canonical form of `url` if the policy lets us request it (before any I/O)."""
        target = canonical_url(url)
        parts = urlsplit(target)
        if parts.scheme not in self.policy.allowed_schemes:
            raise ForbiddenUrl(target, "plain http is only allowed in development")
        if origin_of(target) in self.policy.own_origins:
            raise ForbiddenUrl(target, "this is our own origin; it is never fetched remotely")
        refuses = self.policy.refuses_host
        if refuses is not None and refuses(canonical_host(target)):
            raise RefusedHost(target, "this node does not federate with this host")
        host = parts.hostname or ""
        # aiohttp skips the resolver for IP literals; refuse them here with a clear message
        # (the socket factory would refuse them anyway).
        if address_of((host,)) is not None:
            check_peer_address(
                (host,), allow_private_network=self.policy.allow_private_network, url=target
            )
        return target

    def _base_headers(self, url: str) -> dict[str, str]:
        # Host is set explicitly so that what a signer sees is what goes on the wire.
        return {"Host": canonical_host(url), "User-Agent": self.policy.user_agent}

    def _translate(self, error: BaseException, url: str) -> FetchError:
        if isinstance(error, TimeoutError):  # aiohttp's connect and read timeouts included
            return FetchTimeout(
                url,
                f"no answer within the connect ({self.policy.connect_timeout} s) or read "
                f"({self.policy.read_timeout} s) timeout",
            )
        if isinstance(error, aiohttp.ClientConnectorError):
            cause = error.os_error
            if isinstance(cause, AddressRefused) or _REFUSAL_MARK in str(cause):
                return ForbiddenAddress(url, str(cause.strerror or cause))
            return ConnectionFailed(url, f"cannot connect ({cause})")
        if isinstance(error, aiohttp.ClientPayloadError):
            return ConnectionFailed(url, f"the body was cut off ({error})")
        if isinstance(error, aiohttp.ClientResponseError):
            return BadResponse(url, f"malformed HTTP response ({error.message})")
        return ConnectionFailed(url, f"{type(error).__name__}: {error}")

    @contextlib.asynccontextmanager
    async def _deadline(self, url: str) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                yield
        except TimeoutError as error:
            raise FetchTimeout(
                url, f"not done within the total deadline of {self.policy.total_timeout} s"
            ) from error

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = self._new_session()
        return self._session

    def _new_session(self) -> aiohttp.ClientSession:
        policy = self.policy
        connector = GuardedConnector(
            allow_private_network=policy.allow_private_network,
            resolver=GuardedResolver(policy, self._inner_resolver or aiohttp.ThreadedResolver()),
            socket_factory=GuardedSocketFactory(allow_private_network=policy.allow_private_network),
            ssl=self._ssl_context if self._ssl_context is not None else True,
            limit=MAX_CONNECTIONS,
            limit_per_host=8,
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=policy.connect_timeout, sock_read=policy.read_timeout
            ),
            # Proxies from the environment would connect for us, out of the guard's sight.
            trust_env=False,
            # Decompressing ourselves is what lets the cap apply to the decoded size.
            auto_decompress=False,
            # A peer's cookies must never follow us to another peer.
            cookie_jar=aiohttp.DummyCookieJar(),
        )


def _claimed_id(document: FetchedDocument) -> str:
    claimed = document.data.get("id")
    if not isinstance(claimed, str):
        raise IdMismatch(document.final_url, "the document has no string `id`")
    try:
        return canonical_url(claimed)
    except BadUrl as error:
        raise IdMismatch(document.final_url, f"the document id is unusable: {error}") from None


def _redirect_target(response: aiohttp.ClientResponse, url: str) -> str:
    location = response.headers.get("Location")
    if not location:
        raise BadResponse(url, f"HTTP {response.status} redirect without a Location header")
    return canonical_url(urljoin(url, location))


async def _read_prefix(response: aiohttp.ClientResponse, limit: int) -> bytes:
    body = bytearray()
    async for chunk in response.content.iter_any():
        body += chunk[: limit - len(body)]
        if len(body) >= limit:
            break
    return bytes(body)
