"""The live stream as Server-Sent Events, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from schemas.api_stream import StreamFilter
from server.appkeys import LIVE, SERVICES
from server.live import Subscriber
from server.routes.api_support import ApiFailure
from server.storage import stream
from server.storage.place_profile import place_zone
from server.storage.stream import StreamEvent
from server.stream_filters import matches
from server.web import i18n

HEARTBEAT_SECONDS = 15.0


@dataclass(frozen=True)
class Dates:
    """Dates formatted by Babel for a screen (the wall): its language, and the place's zone
    for what names none (a call's deadline)."""

    language: str
    place_zone: str


def dated(data: dict[str, Any], dates: Dates) -> dict[str, str]:
    """The item's dates as text, as the pages show them: an event's start on its own clock, a
    call's deadline day on the place's."""
    texts = {}
    start, deadline = moment(data.get("startTime")), moment(data.get("deadline"))
    if start is not None:
        zone = data.get("timezone") if isinstance(data.get("timezone"), str) else None
        texts["startTimeText"] = i18n.format_when(start, zone or dates.place_zone, dates.language)
    if deadline is not None:
        texts["deadlineText"] = i18n.format_day(deadline, dates.place_zone, dates.language)
    return texts


def moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/api/v1/stream", live_stream)


def openapi_operation() -> dict[str, Any]:
    """The stream in the OpenAPI document: a GET answering Server-Sent Events, not JSON, so it is
    described here rather than declared on the JSON API's registry."""
    parameters = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": info.description or "",
            "schema": {"type": "string"},
        }
        for name, info in StreamFilter.model_fields.items()
    ]
    parameters.append(
        {
            "name": "Last-Event-ID",
            "in": "header",
            "required": False,
            "description": "Resume after this item (or the query parameter last_event_id)",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    )
    return {
        "get": {
            "summary": "The live stream of the network's life (Server-Sent Events; never ends)",
            "operationId": "live_stream",
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "One `event:`/`data:` frame per item; see README",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "422": {
                    "description": "Invalid filter",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}
                    },
                },
            },
        }
    }


def read_filter(request: web.Request) -> StreamFilter:
    # last_event_id is where to resume (see last_event_id), not a filter.
    query = {name: value for name, value in request.query.items() if name != "last_event_id"}
    try:
        return StreamFilter.model_validate(query)
    except ValidationError as error:
        fields = {
            ".".join(str(part) for part in problem["loc"]) or "query": problem["msg"]
            for problem in error.errors()
        }
        raise ApiFailure(422, "invalid stream filter", fields) from None


def last_event_id(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    if raw is None:
        return None
    if not raw.isdigit():
        raise ApiFailure(422, "Last-Event-ID must be a whole number", {"Last-Event-ID": raw})
    return int(raw)


def frame(event: StreamEvent, dates: Dates | None = None) -> bytes:
    texts = {} if dates is None else dated(event.data, dates)
    body = json.dumps(
        {"kind": event.kind, "local": event.local, "place": event.place, **event.data,
         **texts, "at": event.created_at.isoformat()},
        ensure_ascii=False,
    )  # fmt: skip
    return f"id: {event.id}\nevent: {event.kind}\ndata: {body}\n\n".encode()


async def live_stream(request: web.Request) -> web.StreamResponse:
    wanted = read_filter(request)
    resume_after = last_event_id(request)
    dates = None
    if wanted.dates is not None:
        async with request.app[SERVICES].pool.acquire() as connection:
            dates = Dates(wanted.dates, await place_zone(connection))
    hub = request.app[LIVE]
    subscriber = hub.subscribe(lambda event: matches(event, wanted))
    try:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",  # nginx must not buffer a stream
            }
        )
        await response.prepare(request)
        await response.write(b"retry: 3000\n\n")
        sent = 0
        if resume_after is not None:
            async with request.app[SERVICES].pool.acquire() as connection:
                for event in await stream.after(connection, resume_after):
                    if matches(event, wanted):
                        await response.write(frame(event, dates))
                        sent = event.id
        await follow_live(response, subscriber, sent, dates)
        return response
    except ConnectionResetError:
        # A screen that leaves is the normal end of a stream, not an error: aiohttp raises
        # this on the next write after the client went away.
        return response
    finally:
        hub.unsubscribe(subscriber)


async def follow_live(
    response: web.StreamResponse, subscriber: Subscriber, sent: int, dates: Dates | None
) -> None:
    """Write what the hub hands this subscriber, with keep-alives, until the hub ends it."""
    while not subscriber.closed:
        try:
            async with asyncio.timeout(HEARTBEAT_SECONDS):
                next_event = await subscriber.queue.get()
        except TimeoutError:
            await response.write(b": keep-alive\n\n")
            continue
        if next_event is None:
            return
        event = next_event
        if event.id > sent:
            await response.write(frame(event, dates))
            sent = event.id
