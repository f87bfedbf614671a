"""REST API: open calls. Anyone reads them (they are public documents anyway); administrators and
animateurs publish, change, close and withdraw the place's own."""

from __future__ import annotations

from aiohttp import web

from schemas.api_calls import CallClose, CallIn, CallOut, CallPatch, DocumentLink
from server.appkeys import SERVICES
from server.database import DbConnection
from server.processing.open_calls import (
    CallError,
    change_call,
    close_call,
    create_call,
    delete_call,
)
from server.routes.api_registry import API
from server.routes.api_support import ApiFailure, read_body, reply
from server.storage import open_calls
from server.storage.open_calls import StoredCall

ANIMATION = ("administrator", "animateur")
# Every call has a number (its row), the id people type, as events do; the place's own calls also
# keep the token of their URL, and received ones the older `remote-N` form: both still work.
REMOTE_PREFIX = "remote-"


def call_out(call: StoredCall) -> CallOut:
    fields = call.fields
    return CallOut(
        id=call.token or f"{REMOTE_PREFIX}{call.id}",
        number=call.id,
        uri=call.uri,
        local=call.local,
        place=call.actor_uri,
        kind=fields.kind,
        title=fields.title,
        summary=fields.summary,
        description=fields.description,
        content_html=fields.content_html,
        deadline=fields.deadline,
        skills_wanted=fields.skills_wanted,
        territory=fields.territory,
        contact=fields.contact,
        documents=[DocumentLink.model_validate(document) for document in fields.documents],
        status=fields.status,
        published=call.published_at,
        updated=call.updated_at,
    )


def not_found() -> ApiFailure:
    return ApiFailure(404, "no open call of this place with this id")


@API.route(
    "POST",
    "/api/v1/calls",
    summary="Publish an open call to the place's followers",
    body=CallIn,
    response=CallOut,
    status=201,
    roles=ANIMATION,
)
async def post_call(request: web.Request) -> web.Response:
    body = await read_body(request, CallIn)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection, connection.transaction():
        call = await create_call(connection, services.urls, body)
    return reply(call_out(call), status=201)


@API.route(
    "GET",
    "/api/v1/calls",
    summary="Open calls: the place's own and those received from neighbours, newest first",
    response=CallOut,
    response_is_list=True,
    roles=None,
)
async def get_calls(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await open_calls.list_calls(connection)
    return reply([call_out(call) for call in found])


async def find(request: web.Request) -> StoredCall | None:
    async with request.app[SERVICES].pool.acquire() as connection:
        return await find_named(connection, request.match_info["id"])


async def find_named(connection: DbConnection, call_id: str) -> StoredCall | None:
    """The call a path names: by number, `remote-N`, or a local call's token."""
    number = call_id.removeprefix(REMOTE_PREFIX)
    if number.isdigit() and len(number) < 19:  # bigint: longer digit strings name nothing
        call = await open_calls.find_by_id(connection, int(number))
    else:
        call = await open_calls.find_by_token(connection, call_id)
    return call if call is not None and call.deleted_at is None else None


async def local_token(connection: DbConnection, call_id: str) -> str:
    """The token of the place's own call a path names; a missing or received call is 404."""
    call = await find_named(connection, call_id)
    if call is None or call.token is None:
        raise not_found()
    return call.token


@API.route(
    "GET",
    "/api/v1/calls/{id}",
    summary="One open call",
    response=CallOut,
    roles=None,
)
async def get_call(request: web.Request) -> web.Response:
    call = await find(request)
    if call is None:
        raise not_found()
    return reply(call_out(call))


@API.route(
    "PATCH",
    "/api/v1/calls/{id}",
    summary="Change the place's open call; followers receive an Update",
    body=CallPatch,
    response=CallOut,
    roles=ANIMATION,
)
async def patch_call(request: web.Request) -> web.Response:
    patch = await read_body(request, CallPatch)
    services = request.app[SERVICES]
    try:
        async with services.pool.acquire() as connection, connection.transaction():
            token = await local_token(connection, request.match_info["id"])
            call = await change_call(connection, services.urls, token, patch)
    except CallError as error:
        raise ApiFailure(
            422, error.message, {error.field: error.message}, code=error.code
        ) from None
    if call is None:
        raise not_found()
    return reply(call_out(call))


@API.route(
    "POST",
    "/api/v1/calls/{id}/close",
    summary="Close the place's open call (closed, or filled); followers receive an Update",
    body=CallClose,
    response=CallOut,
    roles=ANIMATION,
)
async def post_close(request: web.Request) -> web.Response:
    # body_exists, not can_read_body: an Idempotency-Key has read the body already.
    body = await read_body(request, CallClose) if request.body_exists else CallClose()
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection, connection.transaction():
        token = await local_token(connection, request.match_info["id"])
        call = await close_call(connection, services.urls, token, body.status)
    if call is None:
        raise not_found()
    return reply(call_out(call))


@API.route(
    "DELETE",
    "/api/v1/calls/{id}",
    summary="Withdraw the place's open call; followers receive a Delete",
    status=204,
    roles=ANIMATION,
)
async def delete_call_route(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection, connection.transaction():
        token = await local_token(connection, request.match_info["id"])
        deleted = await delete_call(connection, services.urls, token)
    if not deleted:
        raise not_found()
    return web.Response(status=204)
