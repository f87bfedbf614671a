"""Facts about remote actors that several modules react to, each with its own reaction.

Whoever learns a fact (the actor directory fetching an actor, the inbox worker reading a
`Delete` of an actor by itself) tells it here; the modules that care register a listener when
they are imported: `follow_requests` ends the follows with an actor that is gone, `directory`
keeps the details of a place whose document was fetched. So the discovery needs no import of its
consequences, and none of them imports back into it (the shape of Fedify's listeners, set on
its federation object). `server.processing.reactions` imports every module that listens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from server.database import DbConnection

ActorGone = Callable[[DbConnection, str], Awaitable[None]]
ActorFetched = Callable[[asyncpg.Pool, str, dict[str, Any]], Awaitable[None]]

_gone: list[ActorGone] = []
_fetched: list[ActorFetched] = []


class NobodyListens(RuntimeError):
    """A fact with no reaction registered: the listening modules were not imported."""


def on_actor_gone(listener: ActorGone) -> ActorGone:
    """Register a reaction to an actor that no longer exists (a decorator)."""
    if listener not in _gone:
        _gone.append(listener)
    return listener


def on_actor_fetched(listener: ActorFetched) -> ActorFetched:
    """Register a reaction to an actor document fetched from the actor's own id (a decorator)."""
    if listener not in _fetched:
        _fetched.append(listener)
    return listener


def reactions() -> dict[str, list[str]]:
    """Who reacts to what (module.function), for tests and for a reader wondering."""
    return {
        "actor gone": [f"{f.__module__}.{f.__qualname__}" for f in _gone],
        "actor fetched": [f"{f.__module__}.{f.__qualname__}" for f in _fetched],
    }


async def actor_gone(connection: DbConnection, actor_uri: str) -> None:
    """`actor_uri` deleted itself, or its own id or inbox answered 410: every reaction runs in
    the caller's transaction. Call it before forgetting the actor (reactions read its row)."""
    if not _gone:
        raise NobodyListens("no reaction to an actor gone: import server.processing.reactions")
    for listener in _gone:
        await listener(connection, actor_uri)


async def actor_fetched(pool: asyncpg.Pool, actor_uri: str, document: dict[str, Any]) -> None:
    """The actor's document was just fetched from its id and stored."""
    if not _fetched:
        raise NobodyListens("no reaction to an actor fetched: import server.processing.reactions")
    for listener in _fetched:
        await listener(pool, actor_uri, document)
