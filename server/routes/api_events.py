"""REST API: the place's events (animateurs and administrators) and members' RSVPs."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from schemas.api_events import (
    AttachmentOut,
    EventIn,
    EventOut,
    EventPatch,
    LocationOut,
    RsvpIn,
    RsvpOut,
)
from server.appkeys import SERVICES
from server.database import DbConnection
from server.processing import events as event_processing
from server.processing.rsvp import RsvpError, join_event, leave_event
from server.routes.api_registry import API, current_account
from server.routes.api_support import ApiFailure, read_body, reply
from server.storage import events
from server.storage.events import StoredEvent

ANIMATION = ("administrator", "animateur")


def location_out(item: dict[str, Any]) -> LocationOut:
    address = item.get("address")
    if isinstance(address, dict):
        parts = ("streetAddress", "postalCode", "addressLocality", "addressRegion")
        text: str | None = ", ".join(str(address[k]) for k in parts if address.get(k)) or None
        url = address.get("url") if address.get("type") == "VirtualLocation" else None
    else:
        text, url = (address if isinstance(address, str) else None), None
    return LocationOut(
        type=str(item.get("type", "Place")),
        name=item.get("name"),
        address=text,
        latitude=item.get("latitude"),
        longitude=item.get("longitude"),
        url=item.get("url") or url,
    )


def event_out(event: StoredEvent) -> EventOut:
    fields = event.fields
    return EventOut(
        id=event.id,
        ap_id=event.ap_id,
        local=event.local,
        attributed_to=event.attributed_to,
        name=fields.name,
        content=fields.content,
        start_time=fields.start_time,
        end_time=fields.end_time,
        timezone=fields.timezone,
        locations=[location_out(item) for item in fields.location],
        category=fields.category,
        tags=fields.tags,
        join_mode=fields.join_mode,
        maximum_attendee_capacity=fields.maximum_capacity,
        remaining_attendee_capacity=event.remaining,
        participant_count=fields.participant_count,
        status=fields.status,
        attachments=[
            AttachmentOut(name=item.get("name"), url=item["href"])
            for item in fields.attachments
            if item.get("href")
        ],
        url=fields.url or event.ap_id,
        published=event.published,
        updated=event.updated,
    )


def event_number(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise ApiFailure(404, "no such event")
    return int(raw)


async def find_event(request: web.Request, *, local: bool) -> StoredEvent:
    number = event_number(request)
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await events.find_by_id(connection, number)
        if found is None:
            await refuse_if_deleted(connection, number)
    if found is None or (local and not found.local):
        raise ApiFailure(404, "no such event" if found is None else "not an event of this place")
    return found


async def refuse_if_deleted(connection: DbConnection, number: int) -> None:
    """One of our events that was deleted is 410, not 404: a client learns it is gone for good."""
    deleted = await events.find_deleted_by_id(connection, number)
    if deleted is not None:
        raise ApiFailure(
            410,
            "event deleted",
            {"id": f"deleted on {deleted.deleted_at.isoformat(timespec='seconds')}"},
        )


def validated(raw: dict[str, Any]) -> EventIn:
    try:
        return EventIn.model_validate(raw)
    except ValidationError as error:
        fields = {
            ".".join(str(part) for part in problem["loc"]) or "body": problem["msg"]
            for problem in error.errors()
        }
        raise ApiFailure(422, "invalid request", fields) from None


# Declared before /api/v1/events/{id}: aiohttp matches routes in order, and `rsvp` would
# otherwise be taken for an event number.
async def rsvp_body(request: web.Request) -> str:
    return (await read_body(request, RsvpIn)).event


@API.route(
    "POST",
    "/api/v1/events/rsvp",
    summary="Take part in an event, here or on another node (Join as one's Person actor)",
    body=RsvpIn,
    response=RsvpOut,
    status=202,
)
async def post_rsvp(request: web.Request) -> web.Response:
    event = await rsvp_body(request)
    services = request.app[SERVICES]
    try:
        joined = await join_event(
            services.pool, services.node, current_account(request).username, event
        )
    except RsvpError as error:
        raise ApiFailure(422, error.message, {"event": error.message}, code=error.code) from None
    return reply(RsvpOut(event=event, state=joined.state), status=202)


@API.route(
    "DELETE",
    "/api/v1/events/rsvp",
    summary="Stop taking part in an event (Leave)",
    body=RsvpIn,
    response=RsvpOut,
)
async def delete_rsvp(request: web.Request) -> web.Response:
    event = await rsvp_body(request)
    services = request.app[SERVICES]
    try:
        await leave_event(services.pool, services.node, current_account(request).username, event)
    except RsvpError as error:
        raise ApiFailure(422, error.message, {"event": error.message}, code=error.code) from None
    return reply(RsvpOut(event=event, state="left"))


@API.route(
    "POST",
    "/api/v1/events",
    summary="Publish an event of the place (Create to its followers)",
    body=EventIn,
    response=EventOut,
    status=201,
    roles=ANIMATION,
)
async def post_event(request: web.Request) -> web.Response:
    body = await read_body(request, EventIn)
    services = request.app[SERVICES]
    event = await event_processing.create_event(
        services.pool, services.urls, event_processing.fields_from_input(body)
    )
    return reply(event_out(event), status=201)


@API.route(
    "GET",
    "/api/v1/events",
    summary="The place's events and those of the network, by start time",
    response=EventOut,
    response_is_list=True,
    roles=None,
)
async def get_events(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await events.list_events(connection)
    return reply([event_out(event) for event in found])


@API.route("GET", "/api/v1/events/{id}", summary="One event", response=EventOut, roles=None)
async def get_event(request: web.Request) -> web.Response:
    return reply(event_out(await find_event(request, local=False)))


@API.route(
    "PATCH",
    "/api/v1/events/{id}",
    summary="Change an event of the place (Update to its followers)",
    body=EventPatch,
    response=EventOut,
    roles=ANIMATION,
)
async def patch_event(request: web.Request) -> web.Response:
    patch = await read_body(request, EventPatch)
    event = await find_event(request, local=True)
    merged = event_processing.input_of(event) | patch.model_dump(mode="json", exclude_unset=True)
    body = validated(merged)
    services = request.app[SERVICES]
    changed = await event_processing.edit_event(
        services.pool, services.urls, event.id, event_processing.fields_from_input(body)
    )
    return reply(event_out(changed))


@API.route(
    "POST",
    "/api/v1/events/{id}/cancel",
    summary="Cancel an event of the place (status CANCELLED, Update to its followers)",
    response=EventOut,
    roles=ANIMATION,
)
async def cancel_event(request: web.Request) -> web.Response:
    event = await find_event(request, local=True)
    body = validated(event_processing.input_of(event) | {"status": "CANCELLED"})
    services = request.app[SERVICES]
    changed = await event_processing.edit_event(
        services.pool, services.urls, event.id, event_processing.fields_from_input(body)
    )
    return reply(event_out(changed))


@API.route(
    "DELETE",
    "/api/v1/events/{id}",
    summary="Delete an event of the place (Delete with a Tombstone to its followers)",
    status=204,
    roles=ANIMATION,
)
async def delete_event(request: web.Request) -> web.Response:
    event = await find_event(request, local=True)
    services = request.app[SERVICES]
    await event_processing.delete_event(services.pool, services.urls, event)
    return web.Response(status=204)
