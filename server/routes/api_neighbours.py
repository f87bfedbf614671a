"""REST API: logging in, and the place's neighbours and deliveries (administrators)."""

from __future__ import annotations

from aiohttp import web

from schemas.api import (
    DeliveryStateOut,
    FollowRequest,
    FollowResult,
    LoginRequest,
    NeighbourOut,
    TokenResponse,
)
from server.appkeys import SERVICES
from server.processing.neighbours import (
    NeighbourError,
    follow_neighbour,
    list_neighbours,
    unfollow_neighbour,
)
from server.processing.sessions import log_in
from server.routes.api_support import ApiFailure, read_body, reply, require_role
from server.storage import outbox

ADMINS = ("administrator",)
ANIMATION = ("administrator", "animateur")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/api/v1/auth/login", login)
    router.add_get("/api/v1/neighbours", get_neighbours)
    router.add_post("/api/v1/neighbours", post_neighbour)
    router.add_delete("/api/v1/neighbours", delete_neighbour)
    router.add_get("/api/v1/deliveries", get_deliveries)
    router.add_post("/api/v1/me/follows", post_my_follow)
    router.add_delete("/api/v1/me/follows", delete_my_follow)


async def login(request: web.Request) -> web.Response:
    body = await read_body(request, LoginRequest)
    session = await log_in(request.app[SERVICES].pool, body.username, body.password)
    if session is None:
        raise ApiFailure(401, "invalid username or password")
    token, expires_at, account = session
    return reply(TokenResponse(token=token, expires_at=expires_at, role=account.role))


async def get_neighbours(request: web.Request) -> web.Response:
    await require_role(request, *ANIMATION)
    services = request.app[SERVICES]
    found = await list_neighbours(services.pool, services.node)
    return reply(
        [
            NeighbourOut(
                actor=n.uri,
                handle=n.handle,
                name=n.name,
                we_follow=n.we_follow,
                follows_us=n.follows_us,
            )
            for n in found
        ]
    )


async def post_neighbour(request: web.Request) -> web.Response:
    await require_role(request, *ANIMATION)
    body = await read_body(request, FollowRequest)
    services = request.app[SERVICES]
    try:
        uri = await follow_neighbour(
            services.pool,
            services.node,
            services.actors,
            services.fetcher,
            body.target,
            services.settings.development,
        )
    except NeighbourError as error:
        raise ApiFailure(422, str(error), {"target": str(error)}) from None
    return reply(FollowResult(actor=uri, state="pending"), status=202)


async def delete_neighbour(request: web.Request) -> web.Response:
    await require_role(request, *ANIMATION)
    body = await read_body(request, FollowRequest)
    services = request.app[SERVICES]
    try:
        uri = await unfollow_neighbour(
            services.pool,
            services.node,
            services.fetcher,
            body.target,
            services.settings.development,
        )
    except NeighbourError as error:
        raise ApiFailure(422, str(error), {"target": str(error)}) from None
    return reply(FollowResult(actor=uri, state="unfollowed"))


async def get_deliveries(request: web.Request) -> web.Response:
    await require_role(request, *ADMINS)
    async with request.app[SERVICES].pool.acquire() as connection:
        states = await outbox.delivery_state_by_host(connection)
    return reply([DeliveryStateOut(**vars(state)) for state in states])


async def post_my_follow(request: web.Request) -> web.Response:
    """A member follows someone as their own Person actor (which must be shared)."""
    account = await require_role(request)
    body = await read_body(request, FollowRequest)
    services = request.app[SERVICES]
    try:
        uri = await follow_neighbour(
            services.pool,
            services.node,
            services.actors,
            services.fetcher,
            body.target,
            services.settings.development,
            account.username,
        )
    except NeighbourError as error:
        raise ApiFailure(422, str(error), {"target": str(error)}) from None
    return reply(FollowResult(actor=uri, state="pending"), status=202)


async def delete_my_follow(request: web.Request) -> web.Response:
    account = await require_role(request)
    body = await read_body(request, FollowRequest)
    services = request.app[SERVICES]
    try:
        uri = await unfollow_neighbour(
            services.pool,
            services.node,
            services.fetcher,
            body.target,
            services.settings.development,
            account.username,
        )
    except NeighbourError as error:
        raise ApiFailure(422, str(error), {"target": str(error)}) from None
    return reply(FollowResult(actor=uri, state="unfollowed"))
