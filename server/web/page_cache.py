"""A one-second cache of the busiest public pages as anonymous visitors get them.

The home and agenda pages cost a few milliseconds of queries and rendering each; fifty visitors
at once would queue behind one another. A page rendered for an anonymous visitor is kept for
`TTL_SECONDS`, per path, query and language; any change made through this process (a request
other than GET) and anything new on the live stream (from any process or neighbour) empties it,
so what a place publishes shows at once, and what depends on the clock (open now) is at most one
second old.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from server.live import LiveHub
from server.storage.stream import StreamEvent
from server.web import i18n

TTL_SECONDS = 1.0
MAX_ENTRIES = 512
CACHED_PATHS = frozenset({"/", "/agenda", "/embed/agenda", "/places", "/people"})
# Cookies that make a page someone's own: a signed-in session (its name is the sessions module's).
PERSONAL_COOKIES = ("maillage_session", "maillage_flash")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Kept:
    expires: float
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


@dataclass
class PageCache:
    entries: dict[tuple[str, str], Kept] = field(default_factory=dict)

    def clear(self) -> None:
        self.entries.clear()

    def get(self, key: tuple[str, str]) -> Kept | None:
        kept = self.entries.get(key)
        if kept is None or kept.expires < time.monotonic():
            return None
        return kept

    def put(self, key: tuple[str, str], response: web.Response) -> None:
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        assert isinstance(response.body, bytes)
        self.entries[key] = Kept(
            time.monotonic() + TTL_SECONDS,
            response.status,
            response.body,
            tuple(
                (name, value)
                for name, value in response.headers.items()
                if name.lower() not in ("set-cookie", "content-length", "date")
            ),
        )


# One per application: the tests run several nodes in one process.
PAGE_CACHE = web.AppKey("page_cache", PageCache)


def cacheable(request: web.Request) -> bool:
    return (
        request.method == "GET"
        and request.path in CACHED_PATHS
        and "lang" not in request.query  # that request also sets the language cookie
        and not any(name in request.cookies for name in PERSONAL_COOKIES)
    )


@web.middleware
async def cached_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    pages = request.app[PAGE_CACHE]
    if request.method not in ("GET", "HEAD"):
        try:
            return await handler(request)  # a redirection after a change is raised, not returned
        finally:
            pages.clear()  # something may have changed: the next visitor gets a fresh page
    if not cacheable(request):
        return await handler(request)
    key = (request.path_qs, i18n.language_of(request))
    kept = pages.get(key)
    if kept is not None:
        return web.Response(status=kept.status, body=kept.body, headers=dict(kept.headers))
    response = await handler(request)
    if isinstance(response, web.Response) and response.status == 200 and response.body:
        pages.put(key, response)
    return response


def forget_pages_on_news(hub: LiveHub, pages: PageCache) -> None:
    """Empty the cache whenever the live stream carries something (of any process)."""

    def news(_event: StreamEvent) -> bool:
        pages.clear()
        return False  # never queued: this subscriber only listens

    hub.subscribe(news, reader=False)
