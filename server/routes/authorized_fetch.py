"""The `authorized_fetch` setting at the door: ActivityPub GETs need a signature (see
server.processing.signed_fetch). WebFinger, NodeInfo, the context document, the Application
actor, HTML pages, feeds and the API stay open.

Checking a signature may make us fetch the signer's key, so these GETs are rate-limited like inbox
POSTs (SECURITY.md row 17), with buckets of their own: per verified origin, and per client address
for what does not verify."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from server.appkeys import SERVICES, SETTINGS, URLS
from server.config import Settings
from server.processing.incoming import IncomingRequest, Refused
from server.processing.signed_fetch import fetch_signer
from server.ratelimit import AUTHENTICATED_KEY_ID, InboxRateLimiter, Rate
from server.routes.negotiation import wants_activitypub
from server.storage.local_actors import APPLICATION

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Routes that answer ActivityPub JSON whatever the Accept header says.
ALWAYS_ACTIVITYPUB = frozenset(
    {
        "/actors/{name}/followers",
        "/actors/{name}/following",
        "/actors/{name}/outbox",
        "/events/{token}/participants",
    }
)
# Routes that answer ActivityPub JSON when asked for it, and a page for browsers otherwise.
NEGOTIATED = frozenset({"/actors/{name}", "/events/{token}", "/calls/{token}"})


def needs_signature(request: web.Request) -> bool:
    """True when this request reads one of our ActivityPub documents other than the node's own
    Application actor (FEP-2677), which must stay open: other servers fetch its key to check the
    signed GETs we send."""
    if request.method not in ("GET", "HEAD"):
        return False
    resource = request.match_info.route.resource
    if resource is None:
        return False
    route = resource.canonical
    if route.startswith("/activities/") or route in ALWAYS_ACTIVITYPUB:
        return True
    if route not in NEGOTIATED or not wants_activitypub(request):
        return False
    return not (route == "/actors/{name}" and request.match_info.get("name") == APPLICATION)


def authorized_fetch_middlewares(settings: Settings) -> list[Middleware]:
    """Nothing when the setting is off; else the rate limiter, then the signature check."""
    if not settings.authorized_fetch:
        return []
    limiter = InboxRateLimiter(
        origin_rate=Rate(settings.inbox_origin_rate_per_second, settings.inbox_origin_burst),
        client_rate=Rate(settings.inbox_client_rate_per_second, settings.inbox_client_burst),
        max_in_flight_per_client=settings.inbox_max_in_flight_per_client,
        client_ip_header=settings.client_ip_header,
        applies_to=needs_signature,
    )
    return [limiter, authorized_fetch]


@web.middleware
async def authorized_fetch(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.app[SETTINGS].authorized_fetch or not needs_signature(request):
        return await handler(request)
    incoming = IncomingRequest(
        method=request.method,
        url=request.app[URLS].base + request.path_qs,
        headers=list(request.headers.items()),
        body=b"",
        recipient=None,
    )
    try:
        signed = await fetch_signer(request.app[SERVICES].actors, incoming)
    except Refused as refusal:
        return web.json_response(
            {"error": refusal.reason}, status=refusal.status, headers={"Vary": "Accept, Signature"}
        )
    request[AUTHENTICATED_KEY_ID] = signed.key_id  # for the rate limiter: charge its origin
    response = await handler(request)
    # A shared cache must not hand what a signed request got to an unsigned one.
    response.headers["Cache-Control"] = "private"
    return response
