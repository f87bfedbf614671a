"""REST API: logging in, the place's neighbours and deliveries, a member's own follows."""

from __future__ import annotations

from aiohttp import web

from federation.hosts import InvalidHost, canonical_host
from schemas.api import (
    DeliveryRetryOut,
    DeliveryStateOut,
    FollowRequest,
    FollowResult,
    LoginRequest,
    NeighbourOut,
    TokenResponse,
)
from server.appkeys import SERVICES
from server.login_throttle import LoginThrottled, attempt_login
from server.processing.neighbours import (
    NeighbourError,
    answer_follower_of_place,
    follow_neighbour,
    list_neighbours,
    unfollow_neighbour,
)
from server.ratelimit import client_address
from server.routes.api_registry import API, current_account
from server.routes.api_support import ApiFailure, read_body, reply
from server.storage import outbox, remote_hosts
from server.storage.local_actors import PLACE

ADMINS = ("administrator",)
ANIMATION = ("administrator", "animateur")


@API.route(
    "POST",
    "/api/v1/auth/login",
    summary="Exchange a username and password for a bearer token",
    body=LoginRequest,
    response=TokenResponse,
    roles=None,
    errors=("401", "429"),
)
async def login(request: web.Request) -> web.Response:
    body = await read_body(request, LoginRequest)
    services = request.app[SERVICES]
    address = client_address(request, services.settings.client_ip_header)
    try:
        session = await attempt_login(
            services.pool, services.login_throttle, body.username, body.password, address
        )
    except LoginThrottled as throttled:
        failure = ApiFailure(429, throttled.message)
        failure.headers["Retry-After"] = str(throttled.retry_after)
        raise failure from None
    if session is None:
        raise ApiFailure(401, "invalid username or password")
    token, expires_at, account = session
    return reply(TokenResponse(token=token, expires_at=expires_at, role=account.role))


@API.route(
    "GET",
    "/api/v1/neighbours",
    summary="The place's follow relations, both ways",
    response=NeighbourOut,
    response_is_list=True,
    roles=ANIMATION,
)
async def get_neighbours(request: web.Request) -> web.Response:
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


async def follow_as(request: web.Request, actor_name: str) -> web.Response:
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
            actor_name,
        )
    except NeighbourError as error:
        raise ApiFailure(422, error.message, {"target": error.message}, code=error.code) from None
    return reply(FollowResult(actor=uri, state="pending"), status=202)


async def unfollow_as(request: web.Request, actor_name: str) -> web.Response:
    body = await read_body(request, FollowRequest)
    services = request.app[SERVICES]
    try:
        uri = await unfollow_neighbour(
            services.pool,
            services.node,
            services.fetcher,
            body.target,
            services.settings.development,
            actor_name,
        )
    except NeighbourError as error:
        raise ApiFailure(422, error.message, {"target": error.message}, code=error.code) from None
    return reply(FollowResult(actor=uri, state="unfollowed"))


@API.route(
    "POST",
    "/api/v1/neighbours",
    summary="The place follows a neighbour (pending until it accepts)",
    body=FollowRequest,
    response=FollowResult,
    status=202,
    roles=ANIMATION,
)
async def post_neighbour(request: web.Request) -> web.Response:
    return await follow_as(request, PLACE)


@API.route(
    "DELETE",
    "/api/v1/neighbours",
    summary="The place stops following a neighbour",
    body=FollowRequest,
    response=FollowResult,
    roles=ANIMATION,
)
async def delete_neighbour(request: web.Request) -> web.Response:
    return await unfollow_as(request, PLACE)


async def answer_follower(request: web.Request, accept: bool) -> web.Response:
    body = await read_body(request, FollowRequest)
    services = request.app[SERVICES]
    try:
        uri = await answer_follower_of_place(services.pool, services.node, body.target, accept)
    except NeighbourError as error:
        raise ApiFailure(422, error.message, {"target": error.message}, code=error.code) from None
    return reply(FollowResult(actor=uri, state="accepted" if accept else "rejected"))


@API.route(
    "POST",
    "/api/v1/neighbours/followers/accept",
    summary="Accept a follow of the place that waits (the place approves followers manually)",
    body=FollowRequest,
    response=FollowResult,
    roles=ANIMATION,
)
async def accept_follower(request: web.Request) -> web.Response:
    return await answer_follower(request, True)


@API.route(
    "POST",
    "/api/v1/neighbours/followers/refuse",
    summary="Refuse a follow of the place that waits: Reject, and the request is forgotten",
    body=FollowRequest,
    response=FollowResult,
    roles=ANIMATION,
)
async def refuse_follower(request: web.Request) -> web.Response:
    return await answer_follower(request, False)


@API.route(
    "POST",
    "/api/v1/me/follows",
    summary="Follow someone as one's own Person actor (which must be shared)",
    body=FollowRequest,
    response=FollowResult,
    status=202,
)
async def post_my_follow(request: web.Request) -> web.Response:
    return await follow_as(request, current_account(request).username)


@API.route(
    "DELETE",
    "/api/v1/me/follows",
    summary="Stop following someone as one's own Person actor",
    body=FollowRequest,
    response=FollowResult,
)
async def delete_my_follow(request: web.Request) -> web.Response:
    return await unfollow_as(request, current_account(request).username)


@API.route(
    "GET",
    "/api/v1/deliveries",
    summary="Delivery state per neighbouring host",
    response=DeliveryStateOut,
    response_is_list=True,
    roles=ADMINS,
)
async def get_deliveries(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        states = await outbox.delivery_state_by_host(connection)
    return reply([DeliveryStateOut(**vars(state)) for state in states])


@API.route(
    "POST",
    "/api/v1/deliveries/{host}/retry",
    summary="Lift a host's pause (circuit breaker or Retry-After): its deliveries are due now",
    response=DeliveryRetryOut,
    roles=ADMINS,
)
async def retry_deliveries(request: web.Request) -> web.Response:
    try:
        host = canonical_host(request.match_info["host"])
    except InvalidHost as error:
        raise ApiFailure(422, str(error), {"host": str(error)}) from None
    async with request.app[SERVICES].pool.acquire() as connection:
        pending = await remote_hosts.retry_now(connection, host)
    if pending is None:
        raise ApiFailure(404, f"no delivery to {host}")
    return reply(DeliveryRetryOut(host=host, pending=pending))
