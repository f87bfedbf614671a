"""Which aggregate takes a received object: events, open calls, profiles register here.

`Create` and `Update` carry the object embedded (its origin was checked against the actor's before
it was stored); `Delete` may name only an id, so every aggregate is asked to drop what that actor
owns under that id.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Protocol

from server.database import DbConnection
from server.processing.context import NodeContext
from server.storage.inbox import ReceivedActivity


class Imported(Enum):
    """What a received Create or Update changed, so that the live stream shows only news."""

    NOTHING = "nothing"  # an older version, a copy we hold already, a sender we do not take
    SEATS = "seats"  # only the counts moved (participantCount, remainingAttendeeCapacity)
    CHANGED = "changed"


class ObjectHandlers(Protocol):
    """`created` and `updated` say what they changed; None (aggregates that do not tell) is
    shown on the stream as received."""

    async def created(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | None: ...

    async def updated(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | None: ...

    async def deleted(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        object_id: str,
    ) -> None: ...


OBJECT_HANDLERS: dict[str, ObjectHandlers] = {}


def register(object_types: tuple[str, ...], handlers: ObjectHandlers) -> None:
    for object_type in object_types:
        OBJECT_HANDLERS[object_type] = handlers


def handlers_for(document: Any) -> ObjectHandlers | None:
    if not isinstance(document, dict):
        return None
    kind = document.get("type")
    return OBJECT_HANDLERS.get(kind) if isinstance(kind, str) else None


def all_handlers() -> list[ObjectHandlers]:
    """Each registered aggregate once, for deletes by id."""
    unique: dict[int, ObjectHandlers] = {id(h): h for h in OBJECT_HANDLERS.values()}
    return list(unique.values())
