"""Which aggregate takes a received object: events, open calls, profiles register here.

`Create` and `Update` carry the object embedded (its origin was checked against the actor's before
it was stored); `Delete` may name only an id, so every aggregate is asked to drop what that actor
owns under that id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from server.database import DbConnection
from server.processing.context import NodeContext
from server.storage.inbox import ReceivedActivity


@dataclass(frozen=True)
class Shown:
    """A live stream item: its kind (`event`, `call`, `profile`, `rsvp`) and its fields."""

    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Imported:
    """A received activity wrote `object_id`; `shown` is what the live stream may show of it,
    read from what was stored (never from the activity), or None for what has no card (a
    place's details, a follow). `author`: whom the object is attributed to when not the sender
    (an event's `attributedTo`), for the `limit` rule of the wall."""

    object_id: str
    shown: Shown | None = None
    author: str | None = None


@dataclass(frozen=True)
class Removed:
    """A received Delete removed these objects, each one the deleting actor's own."""

    object_ids: tuple[str, ...]


@dataclass(frozen=True)
class NothingImported:
    """The activity changed nothing people see: an older version, a copy we hold already, a
    sender we do not take, another actor's object."""

    reason: str


# What every handler of a received activity answers: the live stream records only this.
Outcome = Imported | Removed | NothingImported


class ObjectHandlers(Protocol):
    """`created` and `updated` say what they stored (or removed: a profile no longer shared),
    `deleted` what it removed."""

    async def created(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Outcome: ...

    async def updated(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Outcome: ...

    async def deleted(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        object_id: str,
    ) -> Removed | NothingImported: ...


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
