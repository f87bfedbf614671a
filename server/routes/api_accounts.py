"""REST API: accounts (administrators create them) and the logged-in account."""

from __future__ import annotations

from aiohttp import web

from schemas.api import AccountIn, AccountOut
from server.appkeys import SERVICES, URLS
from server.processing.accounts import AccountError, all_accounts, create_account
from server.routes.api_registry import API, current_account
from server.routes.api_support import ApiFailure, read_body, reply
from server.storage.accounts import Account
from server.urls import NodeUrls


def account_out(account: Account, urls: NodeUrls) -> AccountOut:
    return AccountOut(
        id=account.id,
        username=account.username,
        email=account.email,
        role=account.role,
        actor=urls.actor(account.username),
    )


@API.route(
    "POST",
    "/api/v1/accounts",
    summary="Create an account (its Person actor starts private)",
    body=AccountIn,
    response=AccountOut,
    status=201,
    roles=("administrator",),
)
async def post_account(request: web.Request) -> web.Response:
    body = await read_body(request, AccountIn)
    try:
        account = await create_account(
            request.app[SERVICES].pool, body.username, body.email, body.password, body.role
        )
    except AccountError as error:
        raise ApiFailure(
            422, error.message, {error.field: error.message}, code=error.code
        ) from None
    return reply(account_out(account, request.app[URLS]), status=201)


@API.route(
    "GET",
    "/api/v1/accounts",
    summary="Every account of the node",
    response=AccountOut,
    response_is_list=True,
    roles=("administrator",),
)
async def get_accounts(request: web.Request) -> web.Response:
    found = await all_accounts(request.app[SERVICES].pool)
    return reply([account_out(account, request.app[URLS]) for account in found])


@API.route("GET", "/api/v1/me", summary="The logged-in account", response=AccountOut)
async def get_me(request: web.Request) -> web.Response:
    return reply(account_out(current_account(request), request.app[URLS]))
