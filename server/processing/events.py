"""Our place's events (authored through the API and published to followers) and the events
other servers publish (imported liberally, changed or removed only by their own actor)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
import structlog

from schemas.api_events import EventIn
from schemas.errors import SchemaError
from schemas.events import Event, EventStatus
from schemas.objects import ASObject, Document, Image, Link
from schemas.parse import parse_object
from schemas.places import Place, PostalAddress, VirtualLocation
from server.database import DbConnection
from server.documents.events import PUBLIC, embedded_event, tombstone
from server.processing import live_feed, objects, senders
from server.processing.context import NodeContext
from server.processing.event_audience import announce, remote_participants
from server.processing.objects import Imported, NothingImported, Removed, Shown
from server.processing.publish import publish
from server.processing.rsvp.approval import settle_waiting
from server.processing.sanitise import clean_html, html_text, plain_text, typed_text
from server.storage import events
from server.storage.events import EventFields, StoredEvent
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE
from server.urls import NodeUrls

log = structlog.get_logger(__name__)

UNTITLED = "(sans titre / untitled)"
MAX_NAME = 300
# The text parts of a PostalAddress, and the name of a VirtualLocation given as an address; ids
# and URLs are not text.
ADDRESS_TEXT = frozenset(
    {"streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry", "name"}
)


# ---------------------------------------------------------------------------------------------
# Our events


def fields_from_input(body: EventIn) -> EventFields:
    location: list[dict[str, Any]] = []
    if body.place is not None:
        place = Place(
            name=typed_text(body.place.name),
            address=(
                None
                if body.place.address is None
                else body.place.address.model_dump(exclude_none=True) | {"type": "PostalAddress"}
            ),
            latitude=body.place.latitude,
            longitude=body.place.longitude,
        )
        location.append(place.model_dump(mode="json", by_alias=True))
    if body.online_url is not None:
        online = VirtualLocation(name="En ligne / Online", url=str(body.online_url))
        location.append(online.model_dump(mode="json", by_alias=True))
    return EventFields(
        name=typed_text(body.name) or UNTITLED,
        content=clean_html(body.content),
        start_time=body.start_time,
        end_time=body.end_time,
        timezone=body.timezone,
        location=location,
        category=typed_text(body.category) or None,
        tags=body.tags,
        join_mode=body.join_mode,
        maximum_capacity=body.maximum_attendee_capacity,
        status=body.status,
        attachments=[
            Link(name=typed_text(item.name), href=str(item.url), media_type="text/html").model_dump(
                mode="json", by_alias=True
            )
            for item in body.attachments
        ],
    )


def input_of(event: StoredEvent) -> dict[str, Any]:
    """The API fields of one of our events, so that a PATCH merges onto them and is validated
    whole."""
    fields = event.fields
    place = next((item for item in fields.location if item.get("type") == "Place"), None)
    online = next((item for item in fields.location if item.get("type") == "VirtualLocation"), None)
    address = place.get("address") if place else None
    return {
        "name": fields.name,
        "content": fields.content,
        "start_time": fields.start_time,
        "end_time": fields.end_time,
        "timezone": fields.timezone or "UTC",
        "place": None
        if place is None
        else {
            "name": place.get("name") or UNTITLED,
            "address": None
            if not isinstance(address, dict)
            else {_snake(k): v for k, v in address.items() if k != "type"},
            "latitude": place.get("latitude"),
            "longitude": place.get("longitude"),
        },
        "online_url": online.get("url") if online else None,
        "category": fields.category,
        "tags": fields.tags,
        "join_mode": fields.join_mode,
        "maximum_attendee_capacity": fields.maximum_capacity,
        "status": fields.status,
        "attachments": [
            {"name": item.get("name") or item["href"], "url": item["href"]}
            for item in fields.attachments
            if item.get("href")
        ],
    }


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


async def create_event(pool: asyncpg.Pool, urls: NodeUrls, fields: EventFields) -> StoredEvent:
    token = secrets.token_urlsafe(12)
    async with pool.acquire() as connection, connection.transaction():
        event = await events.insert_local(
            connection, urls.object("events", token), token, urls.actor(PLACE), fields
        )
        await announce(
            connection, urls, "Create", event, embedded_event(event, urls.followers(PLACE))
        )
    return event


async def edit_event(
    pool: asyncpg.Pool, urls: NodeUrls, event_id: int, fields: EventFields
) -> StoredEvent:
    """Change one of our events; Joins waiting for approval are answered when the change ends
    the wait (cancelled, or no longer on approval), before the Update goes."""
    async with pool.acquire() as connection, connection.transaction():
        changed = await events.update_local(connection, event_id, fields)
        settled = await settle_waiting(connection, urls, changed)
        event = settled.event
        await announce(
            connection,
            urls,
            "Update",
            event,
            embedded_event(event, urls.followers(PLACE)),
            after=settled.accepts,
        )
    return event


async def delete_event(pool: asyncpg.Pool, urls: NodeUrls, event: StoredEvent) -> None:
    async with pool.acquire() as connection, connection.transaction():
        # Joins that wait are refused, and participants read, before the row (and its
        # participants) go.
        await settle_waiting(connection, urls, event, deleted=True)
        recipients = await remote_participants(connection, urls, event.id)
        deleted = await events.delete_local(connection, event.id)
        await publish(
            connection,
            urls,
            PLACE,
            {
                "type": "Delete",
                "to": [PUBLIC],
                "cc": [urls.followers(PLACE)],
                "object": tombstone(event.ap_id, deleted),
            },
            to_followers=True,
            recipients=recipients,
        )


# ---------------------------------------------------------------------------------------------
# Events of other servers


def fields_from_remote(event: Event) -> EventFields:
    name = plain_text(event.name) or html_text(event.summary)[:MAX_NAME] or UNTITLED
    return EventFields(
        name=name[:MAX_NAME],
        content=clean_html(event.content or event.summary),
        start_time=event.start_time,
        end_time=event.end_time,
        timezone=known_zone(event.timezone),
        location=[location_of(item) for item in event.location],
        category=plain_text(event.category)[:100] or None,
        tags=[
            plain_text(item.name).lstrip("#")
            for item in event.tag
            if isinstance(item, Link) and item.type == "Hashtag" and item.name
        ],
        join_mode=event.join_mode
        if event.join_mode in ("free", "restricted", "invite")
        else "free",
        maximum_capacity=event.maximum_attendee_capacity,
        status=(event.status or EventStatus.CONFIRMED).value,
        attachments=[link for item in event.attachment if (link := attachment_of(item))],
        url=next(iter(event.url_hrefs()), None),
        participant_count=event.participant_count or 0,
        remaining_capacity=event.remaining_attendee_capacity,
    )


def known_zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def location_of(item: str | Place | VirtualLocation) -> dict[str, Any]:
    """One location in the strict shape we store and emit; a text location becomes a Place.
    Its name and address are plain text, decoded like every received name."""
    if isinstance(item, str):
        return {"type": "Place", "name": plain_text(item)}
    dumped: dict[str, Any] = item.model_dump(mode="json", by_alias=True)
    if item.name is not None:
        dumped["name"] = plain_text(item.name)
    if isinstance(item, Place) and item.address is not None:
        dumped["address"] = address_of(item.address)
    return dumped


def address_of(address: str | PostalAddress | VirtualLocation) -> str | dict[str, Any]:
    if isinstance(address, str):
        return plain_text(address)
    dumped: dict[str, Any] = address.model_dump(mode="json", by_alias=True)
    for key, value in dumped.items():
        if key in ADDRESS_TEXT and isinstance(value, str):
            dumped[key] = plain_text(value)
    return dumped


def attachment_of(item: object) -> dict[str, Any] | None:
    """Links and media as Links: what we show is a name and where it leads."""
    if isinstance(item, Link) and item.href:
        return Link(
            name=plain_text(item.name) or None, href=item.href, media_type=item.media_type
        ).model_dump(mode="json", by_alias=True)
    if isinstance(item, Document | Image) and item.url_hrefs():
        return Link(
            name=plain_text(item.name) or None, href=item.url_hrefs()[0], media_type=item.media_type
        ).model_dump(mode="json", by_alias=True)
    return None


def parsed_event(document: dict[str, Any]) -> Event | None:
    try:
        parsed: ASObject = parse_object(document)
    except SchemaError as error:
        log.info("event not imported", reason=str(error))
        return None
    return parsed if isinstance(parsed, Event) else None


def change_of(held: EventFields | None, stored: EventFields) -> str | None:
    """The stream action of a stored version against the copy it replaced; None when it
    changed nothing (a redelivery, or the backfill of what we already have)."""
    if held is None:
        return "new"
    if held == stored:
        return None
    if replace(held, participant_count=0, remaining_capacity=None) == replace(
        stored, participant_count=0, remaining_capacity=None
    ):
        return "seats"  # a Join elsewhere is no edit: screens refresh the seats they show
    return "changed"


def shown_event(event: StoredEvent, urls: NodeUrls, verb: str) -> Shown:
    """The stream item of an event as we stored it (its text already cleaned)."""
    document = embedded_event(event, urls.followers(PLACE))
    return Shown("event", live_feed.event_item(document, verb, typed_text))


class EventHandlers:
    """Create, Update and Delete of Events received from other servers."""

    async def created(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | NothingImported:
        return await self.store(connection, node, activity, document)

    async def updated(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | NothingImported:
        # An Update of an event we missed the Create of is as good as a Create.
        return await self.store(connection, node, activity, document)

    async def deleted(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        object_id: str,
    ) -> Removed | NothingImported:
        if await events.delete_remote(connection, object_id, activity.actor_uri):
            log.info("remote event deleted", event_id=object_id)
            return Removed((object_id,))
        return NothingImported("no event of this actor's")

    async def store(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | NothingImported:
        event = parsed_event(document)
        if event is None or event.id is None or node.urls.is_local(event.id):
            return NothingImported("not an event of another server")
        owner = event.attributed_to[0] if event.attributed_to else activity.actor_uri
        held = await events.lock_remote(connection, event.id)
        if held is None and not await senders.takes_new_object(
            connection, node, activity, document, owners=[owner], event_ap_id=event.id
        ):
            log.info("event of an actor we do not follow ignored", event_id=event.id)
            return NothingImported("an event of an actor we do not follow")
        fields = fields_from_remote(event)
        version = event.updated or event.published
        if not await events.upsert_remote(
            connection, event.id, activity.actor_uri, owner, fields, version
        ):
            log.info("event left alone: another actor's, or older than ours", event_id=event.id)
            return NothingImported("another actor's event, or an older version")
        stored = await events.lock_remote(connection, event.id)
        change = change_of(None if held is None else held.fields, fields)
        if stored is None or change is None:
            return NothingImported("the copy we hold already")
        verb = live_feed.verb_of(activity.activity_type)
        shown = shown_event(stored, node.urls, verb)
        if change == "seats" and shown.data["action"] == "updated":
            shown.data["action"] = "seats"
        return Imported(event.id, shown, author=owner)


HANDLERS = EventHandlers()
objects.register(("Event",), HANDLERS)
