"""Input no route can use, refused for every route at once with a 4xx (issue 14, SECURITY.md #15).

Before any handler runs:

- the path, query and header values must be text PostgreSQL can store: `%00` decodes to U+0000,
  which `text` columns refuse (a 500 at the first query), and header bytes that are not UTF-8
  decode to lone surrogates, which nothing can encode back;
- a body must declare its length (411 for a chunked body: no ActivityPub server, browser or API
  client of ours sends one, and a chunk header announcing terabytes otherwise held the connection
  until the sender gave up), within the cap (413), in a content coding we undo (415);
- handlers read the body with `read_body_bytes`, for which a gzip or deflate body that does
  not decompress is a 400 rather than an exception (the body is not read here, so that the
  inboxes' concurrency limit still sees a slow sender while its body arrives).

Answers take the shape the caller reads: the API's `{"error", "fields"}`, the inboxes' and
ActivityPub clients' `{"error"}`, plain text otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from schemas.jsontext import text_problem
from server.ratelimit import is_inbox_post
from server.routes.negotiation import wants_activitypub
from server.web import rendering

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# What aiohttp undoes itself (brotli only with the optional package, which we do not install).
BODY_CODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})


@web.middleware
async def refuse_bad_input(request: web.Request, handler: Handler) -> web.StreamResponse:
    refusal = address_refusal(request) or body_refusal(request)
    if refusal is not None:
        return refusal
    return await handler(request)


def address_refusal(request: web.Request) -> web.Response | None:
    problem = text_problem(request.path)
    if problem is not None:
        return refuse(request, 400, f"the path {problem}")
    for name, value in request.query.items():
        problem = text_problem(name) or text_problem(value)
        if problem is not None:
            # The API answers a bad parameter like a bad field, naming it.
            status = 422 if is_api(request) else 400
            return refuse(request, status, f"the query parameter {name!r} {problem}", field=name)
    for name, value in request.headers.items():
        if text_problem(value) is not None:
            return refuse(request, 400, f"the header {name} is not UTF-8 text")
    return None


def body_refusal(request: web.Request) -> web.Response | None:
    if not request.body_exists:
        return None
    declared = request.content_length
    if declared is None:
        return refuse(request, 411, "send the body with a Content-Length, not chunked")
    if declared > request.client_max_size:
        return too_large(request)
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    if coding not in BODY_CODINGS:
        return refuse(
            request,
            415,
            f"the content coding {coding[:40]!r} is not supported",
            headers={"Accept-Encoding": "gzip, deflate"},
        )
    return None


class BodyRefused(Exception):
    """The body could not be read: the caller answers `status` and `message` in its shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = {"Connection": "close"}  # the rest of the body is not worth reading


async def read_body_bytes(request: web.Request) -> bytes:
    """The body, decompressed and within the cap, or `BodyRefused`: what every route reads."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:  # a compressed body that inflates past the cap
        raise BodyRefused(413, too_large_message(request)) from None
    except RequestPayloadError:
        coding = request.headers.get("Content-Encoding", "").strip().lower()
        raise BodyRefused(
            400, f"the body does not decode as its Content-Encoding ({coding})"
        ) from None


def too_large_message(request: web.Request) -> str:
    return f"the request body exceeds {request.client_max_size} bytes"


def too_large(request: web.Request) -> web.Response:
    if is_api(request) or is_inbox_post(request) or wants_activitypub(request):
        return refuse(request, 413, too_large_message(request), headers={"Connection": "close"})
    # A person's form or file, over the cap: a page that says so in their language (the body is
    # not read, so nothing else of the request is known).
    response = rendering.render(
        request, "too_large.html", {"size": request.client_max_size // 1024}, status=413
    )
    response.headers["Connection"] = "close"
    return response


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def refuse(
    request: web.Request,
    status: int,
    message: str,
    *,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    if is_api(request):
        fields = {field: message} if field is not None else {}
        error = "invalid request" if field is not None else message
        return web.json_response({"error": error, "fields": fields}, status=status, headers=headers)
    if is_inbox_post(request) or wants_activitypub(request):
        return web.json_response({"error": message}, status=status, headers=headers)
    return web.Response(text=message, status=status, headers=headers)
