"""Who hears of a change to one of our events: the place's followers and the event's remote
participants (whose servers may not follow us). Apart from server.processing.events so that
RSVP processing, which the event changes call, can tell them too without an import cycle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.database import DbConnection
from server.documents.events import PUBLIC
from server.processing.publish import publish
from server.storage import participants
from server.storage.events import StoredEvent
from server.storage.local_actors import PLACE
from server.urls import NodeUrls


async def remote_participants(connection: DbConnection, urls: NodeUrls, event_id: int) -> list[str]:
    """Remote participants hear of changes even when their server does not follow us."""
    return [
        uri
        for uri in await participants.accepted_participants(connection, event_id)
        if not urls.is_local(uri)
    ]


async def announce(
    connection: DbConnection,
    urls: NodeUrls,
    verb: str,
    event: StoredEvent,
    payload: Any,
    *,
    seats_only: bool = False,
    after: Mapping[str, int] | None = None,
) -> None:
    await publish(
        connection,
        urls,
        PLACE,
        {"type": verb, "to": [PUBLIC], "cc": [urls.followers(PLACE)], "object": payload},
        to_followers=True,
        recipients=await remote_participants(connection, urls, event.id),
        seats_only=seats_only,
        after=after,
    )
