"""Our Accept or Reject of a Join: what it embeds, and sending it."""

from __future__ import annotations

from typing import Any

from server.database import DbConnection
from server.processing.publish import as_list, publish
from server.storage.events import StoredEvent
from server.storage.local_actors import PLACE
from server.urls import NodeUrls

# Addressing copied from a received Join into our answer; more would only be echoed back.
MAX_ECHOED_AUDIENCE = 50


def embedded_join(join: dict[str, Any], event: StoredEvent) -> dict[str, Any]:
    """The Join as our Accept or Reject embeds it: its id, actor and object, and its audience
    as received (`to`, `cc`, `audience`), since activitypub-express checks the embedded
    object's audience; a Join that named none was addressed to the organiser, our place."""
    embedded: dict[str, Any] = {
        "id": join["id"],
        "type": "Join",
        "actor": join["actor"],
        "object": event.ap_id,
    }
    for key in ("to", "cc", "audience"):
        ids = [ref_id(value) for value in as_list(join.get(key))]
        named = [value for value in ids if value is not None][:MAX_ECHOED_AUDIENCE]
        if named:
            embedded[key] = named
    embedded.setdefault("to", [event.attributed_to])
    return embedded


def ref_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


async def answer_join(
    connection: DbConnection,
    urls: NodeUrls,
    state: str,
    embedded: dict[str, Any],
    *,
    on_stream: bool = True,
) -> int:
    """Accept or Reject the Join `embedded` (as `embedded_join` made it); the answer's outbox
    id."""
    return await publish(
        connection,
        urls,
        PLACE,
        {
            "type": "Accept" if state == "accepted" else "Reject",
            "to": [embedded["actor"]],
            "object": embedded,
        },
        to_followers=False,
        recipients=[embedded["actor"]],
        on_stream=on_stream,
    )
