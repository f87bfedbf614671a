"""The followers, following and outbox collections of local actors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from server.appkeys import SERVICES, URLS
from server.database import DbConnection
from server.documents.collections import PAGE_SIZE, collection, collection_page
from server.routes.negotiation import activity_json
from server.storage import follows, local_actors, outbox

PageReader = Callable[[DbConnection, str, int, int], Awaitable[tuple[int, list[Any]]]]


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/actors/{name}/followers", followers)
    router.add_get("/actors/{name}/following", following)
    router.add_get("/actors/{name}/outbox", outbox_collection)


def page_number(request: web.Request) -> int | None:
    raw = request.query.get("page")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise web.HTTPBadRequest(text="page must be a whole number from 1")
    return int(raw)


async def serve_collection(request: web.Request, suffix: str, read: PageReader) -> web.Response:
    name = request.match_info["name"]
    urls = request.app[URLS]
    uri = f"{urls.actor(name)}/{suffix}"
    page = page_number(request)
    async with request.app[SERVICES].pool.acquire() as connection:
        if await local_actors.find_federated_actor(connection, name) is None:
            raise web.HTTPNotFound(text=f"no actor named {name!r} on this node")
        offset = ((page or 1) - 1) * PAGE_SIZE
        total, items = await read(connection, urls.actor(name), PAGE_SIZE, offset)
    if page is None:
        return activity_json(collection(uri, total))
    return activity_json(collection_page(uri, page, total, items))


async def read_followers(
    connection: DbConnection, actor: str, limit: int, offset: int
) -> tuple[int, list[Any]]:
    total, uris = await follows.page_of(connection, followed=actor, limit=limit, offset=offset)
    return total, list(uris)


async def read_following(
    connection: DbConnection, actor: str, limit: int, offset: int
) -> tuple[int, list[Any]]:
    total, uris = await follows.page_of(connection, follower=actor, limit=limit, offset=offset)
    return total, list(uris)


async def read_outbox(
    connection: DbConnection, actor: str, limit: int, offset: int
) -> tuple[int, list[Any]]:
    name = actor.rsplit("/", 1)[-1]
    total, activities = await outbox.page_of_public(connection, name, limit, offset)
    return total, list(activities)


async def followers(request: web.Request) -> web.Response:
    return await serve_collection(request, "followers", read_followers)


async def following(request: web.Request) -> web.Response:
    return await serve_collection(request, "following", read_following)


async def outbox_collection(request: web.Request) -> web.Response:
    return await serve_collection(request, "outbox", read_outbox)
