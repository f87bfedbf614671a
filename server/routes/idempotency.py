"""`Idempotency-Key` on the REST API's POSTs, after the IETF draft "The Idempotency-Key HTTP
Header Field" (draft-ietf-httpapi-idempotency-key-header).

A client that lost the answer to a POST cannot know whether it was committed; sending the POST
again with the same key is safe: within 24 hours, a key already answered gets that first answer
again (status and body, with `Idempotent-Replayed: true`) and nothing runs twice, so nothing is
published twice. Keys belong to the account that sent them. The same key with another request
(method, path or body) is refused with 422, as the draft says; the same key while its first
request is still running gets 409 with `Retry-After: 1`.

Only successful answers (2xx) are remembered. An error changed nothing, so the key is released
and the client may send the same request again with it (after a 503, say).

The answer is recorded just after the handler's own commit: a process killed between the two
leaves the key "in progress", and after ABANDONED_AFTER_SECONDS a retry runs the request again.
That window is a few milliseconds wide. A process killed while running the request leaves the
key "in progress" too: its retries get 409 until then. A request failed by a database outage
releases its key; if the database is still down then, this process remembers the key as free.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog
from aiohttp import web

from server.appkeys import SERVICES
from server.database import database_unreachable
from server.routes.api_support import ApiFailure
from server.storage import idempotency
from server.storage.accounts import Account

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
ABANDONED_AFTER_SECONDS = 60.0
MAX_UNRELEASED = 10_000


def read_key(request: web.Request) -> str | None:
    """The key, given bare (as Stripe's clients send it) or as the draft's quoted sf-string."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise ApiFailure(
            422,
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            {HEADER: raw[:100]},
        )
    return key


async def fingerprint(request: web.Request) -> bytes:
    body = await request.read()  # aiohttp keeps it for the handler
    digest = hashlib.sha256(f"{request.method} {request.path_qs}\n".encode())
    digest.update(body)
    return digest.digest()


async def run_once(request: web.Request, account: Account, handler: Handler) -> web.StreamResponse:
    """`handler`'s answer, or the one remembered for the request's Idempotency-Key."""
    key = read_key(request)
    if key is None:
        return await handler(request)
    request_print = await fingerprint(request)
    services = request.app[SERVICES]
    pool, unreleased = services.pool, services.unreleased_keys
    # A key this process failed to release is known to be free: no need to wait.
    abandoned_after = 0.0 if (account.id, key) in unreleased else ABANDONED_AFTER_SECONDS
    async with pool.acquire() as connection:
        remembered = await idempotency.claim(
            connection, account.id, key, request_print, abandoned_after
        )
    unreleased.discard((account.id, key))
    if remembered is not None:
        return replay(remembered, request_print)
    try:
        response = await handler(request)
    except BaseException:
        await release(pool, account.id, key, unreleased)
        raise
    body = response.body if isinstance(response, web.Response) else None
    if not 200 <= response.status < 300 or not isinstance(body, bytes):
        await release(pool, account.id, key, unreleased)
        return response
    async with pool.acquire() as connection:
        await idempotency.record(
            connection, account.id, key, response.status, response.content_type, body
        )
    return response


def replay(remembered: idempotency.Remembered, request_print: bytes) -> web.StreamResponse:
    if remembered.fingerprint != request_print:
        raise ApiFailure(
            422,
            f"this {HEADER} was already used for another request; use a new key",
            {HEADER: "already used for another request"},
        )
    if remembered.status is None or remembered.body is None:
        failure = ApiFailure(
            409, f"a request with this {HEADER} is still in progress; retry in a moment"
        )
        failure.headers["Retry-After"] = "1"
        raise failure
    return web.Response(
        status=remembered.status,
        body=remembered.body,
        content_type=remembered.content_type or "application/json",
        headers={"Idempotent-Replayed": "true"},
    )


async def release(
    pool: asyncpg.Pool, account_id: int, key: str, unreleased: set[tuple[int, str]]
) -> None:
    """Let the key be used again: the request did not succeed, so it changed nothing."""
    try:
        async with pool.acquire() as connection:
            await idempotency.forget(connection, account_id, key)
    except Exception as error:
        if not database_unreachable(error):
            raise
        # Most likely the same outage that failed the request. The retry that comes to this
        # process takes the key at once; one that goes to another process waits until
        # ABANDONED_AFTER_SECONDS have passed.
        log.warning("could not release an idempotency key", error=str(error))
        if len(unreleased) < MAX_UNRELEASED:
            unreleased.add((account_id, key))
