"""The middleware that times every request and counts what the inboxes accepted or refused."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from server.metrics.registry import NodeMetrics
from server.ratelimit import is_inbox_post

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Why an inbox said no, read from its status (each refusal has one status; SECURITY.md).
INBOX_REFUSALS = {
    400: "malformed",
    401: "signature",
    403: "forbidden",
    404: "unknown recipient",
    410: "gone",
    413: "too large",
    415: "media type",
    422: "invalid",
    429: "rate limited",
    503: "unavailable",
}


# Labels come from a fixed set: a label per method a client invents would grow without bound.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsMiddleware:
    """Outermost middleware: sees every answer, 503s and 429s of the inner ones included."""

    __middleware_version__ = 1  # a new-style middleware (what @web.middleware marks)

    def __init__(self, metrics: NodeMetrics) -> None:
        self.metrics = metrics

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            self.record(request, status, time.perf_counter() - started)

    def record(self, request: web.Request, status: int, seconds: float) -> None:
        method = request.method if request.method in KNOWN_METHODS else "other"
        status_class = f"{status // 100}xx"
        self.metrics.http_requests.labels(method, route_of(request), status_class).observe(seconds)
        if is_inbox_post(request):
            outcome = "accepted" if status < 300 else INBOX_REFUSALS.get(status, f"status {status}")
            self.metrics.inbox_requests.labels(outcome).inc()


def route_of(request: web.Request) -> str:
    """The route's pattern (`/actors/{name}`), never the path itself: a label per path would
    let any client grow the registry without bound."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"
