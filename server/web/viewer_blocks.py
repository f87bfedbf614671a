"""What a signed-in member blocked stays out of the pages they see (the agenda, the people)."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import SERVICES
from server.storage import blocks
from server.web.sessions import current_session


async def blocked_by_viewer(request: web.Request) -> frozenset[str]:
    """The actors the member signed in blocks as themselves (nothing for a visitor)."""
    session = current_session(request)
    if session is None:
        return frozenset()
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await blocks.list_blocks(connection, session.account.username)
    return frozenset(block.actor_uri for block in found)
