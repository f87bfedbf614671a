"""The consolidated agenda: REST (/api/v1/agenda), web page (/agenda), iCalendar and Atom feeds
(/agenda.ics, /agenda.atom, /calls.atom, /events/{token}.ics, /api/v1/agenda/{id}.ics)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiMapping
from pydantic import ValidationError

from schemas.api_agenda import AgendaEventOut, AgendaPage, AgendaQuery, cursor_of
from server.appkeys import SERVICES, URLS
from server.documents.agenda_page import agenda_values
from server.documents.calendar import calendar
from server.documents.feeds import agenda_feed, calls_feed
from server.routes.api_events import event_out, refuse_if_deleted
from server.routes.api_registry import API
from server.routes.api_support import ApiFailure, reply
from server.routes.events import gone, local_event
from server.storage import agenda, open_calls
from server.storage.agenda import AgendaFilter, AgendaItem, Near
from server.storage.events import DeletedEvent
from server.web.rendering import ONWARD_FORMS, render

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FEED_LIMIT = 200
CALENDAR = "text/calendar"
ATOM = "application/atom+xml"


def add_routes(router: web.UrlDispatcher) -> None:
    # Before /events/{token} (registered by routes.events): `x.ics` would be taken for a token.
    router.add_get("/events/{token}.ics", local_event_ics)
    router.add_get("/agenda", page)
    router.add_get("/embed/agenda", embedded)
    router.add_get("/agenda.ics", agenda_ics)
    router.add_get("/agenda.atom", agenda_atom)
    router.add_get("/calls.atom", calls_atom)


def parse_query(request: web.Request) -> AgendaQuery:
    """The query string as an AgendaQuery, or a 422 naming each bad parameter."""
    return parse_params(request.query)


def parse_params(params: MultiMapping[str]) -> AgendaQuery:
    raw: dict[str, Any] = {}
    for key in params:
        values = params.getall(key)
        if key == "tag":
            raw[key] = values
        elif len(values) > 1:
            raise ApiFailure(422, "invalid request", {key: "given more than once"})
        else:
            raw[key] = values[0]
    try:
        return AgendaQuery.model_validate(raw)
    except ValidationError as error:
        fields = {
            ".".join(str(part) for part in problem["loc"]) or "query": problem["msg"]
            for problem in error.errors()
        }
        raise ApiFailure(422, "invalid request", fields) from None


def filter_of(query: AgendaQuery, limit: int | None = None) -> AgendaFilter:
    now = datetime.now(UTC)
    near = None
    if query.latitude is not None and query.longitude is not None and query.km is not None:
        near = Near(query.latitude, query.longitude, query.km)
    position = query.cursor_position()
    after = None
    if position is not None:
        after = (EPOCH + timedelta(microseconds=position[0]), position[1])
    return AgendaFilter(
        start=now if query.now or query.start is None else query.start,
        end=query.end,
        place=query.place,
        category=query.category,
        tags=tuple(query.tag or ()),
        text=query.q,
        near=near,
        now_only=query.now,
        limit=limit or query.limit,
        after=after,
    )


async def agenda_page_of(
    request: web.Request, wanted: AgendaFilter
) -> tuple[list[AgendaItem], str | None]:
    services = request.app[SERVICES]
    # Limited domains' events stay out unless we follow their place (moderation).
    wanted = dataclasses.replace(wanted, hidden=services.domain_policies.limit_rule)
    async with services.pool.acquire() as connection:
        items, following = await agenda.agenda(connection, wanted)
    return items, None if following is None else cursor_of(*following)


def item_out(item: AgendaItem) -> AgendaEventOut:
    base = event_out(item.event)
    return AgendaEventOut(
        **base.model_dump(),
        place_name=item.place_name,
        origin=item.event.fields.url or item.event.ap_id,
        cancelled=item.event.fields.status == "CANCELLED",
        distance_km=None if item.distance_km is None else round(item.distance_km, 3),
    )


@API.route(
    "GET",
    "/api/v1/agenda",
    summary="The agenda of the place and of the neighbours it follows, by start time",
    response=AgendaPage,
    roles=None,
    query=AgendaQuery,
)
async def get_agenda(request: web.Request) -> web.Response:
    items, following = await agenda_page_of(request, filter_of(parse_query(request)))
    return reply(AgendaPage(items=[item_out(item) for item in items], next_cursor=following))


def ics_response(body: bytes, filename: str) -> web.Response:
    return web.Response(
        body=body,
        content_type=CALENDAR,
        charset="utf-8",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@API.route(
    "GET",
    "/api/v1/agenda/{id}.ics",
    summary="One event of the agenda as iCalendar (text/calendar)",
    roles=None,
)
async def get_agenda_event_ics(request: web.Request) -> web.Response:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise ApiFailure(404, "no such event")
    async with request.app[SERVICES].pool.acquire() as connection:
        item = await agenda.agenda_item(connection, int(raw))
        if item is None:
            await refuse_if_deleted(connection, int(raw))
    if item is None:
        raise ApiFailure(404, "no such event")
    return ics_response(calendar([item], item.event.fields.name), f"event-{item.event.id}.ics")


async def local_event_ics(request: web.Request) -> web.Response:
    found = await local_event(request)
    if isinstance(found, DeletedEvent):
        return gone(request, found)  # a subscribed calendar learns it is gone, not mistyped
    async with request.app[SERVICES].pool.acquire() as connection:
        item = await agenda.agenda_item(connection, found.id)
    if item is None:  # deleted between the two reads
        raise web.HTTPNotFound(text="no such event on this node")
    token = item.event.token or str(item.event.id)
    return ics_response(calendar([item], item.event.fields.name), f"{token}.ics")


async def agenda_ics(request: web.Request) -> web.Response:
    query = parse_query(request)
    items, _ = await agenda_page_of(request, filter_of(query, max(query.limit, FEED_LIMIT)))
    async with request.app[SERVICES].pool.acquire() as connection:
        title = await agenda.own_place_name(connection)
    return ics_response(calendar(items, f"Agenda — {title}"), "agenda.ics")


def absolute(request: web.Request, path: str) -> str:
    query = request.query_string
    return request.app[URLS].base + path + (f"?{query}" if query else "")


async def agenda_atom(request: web.Request) -> web.Response:
    query = parse_query(request)
    items, _ = await agenda_page_of(request, filter_of(query, max(query.limit, FEED_LIMIT)))
    async with request.app[SERVICES].pool.acquire() as connection:
        author = await agenda.own_place_name(connection)
    body = agenda_feed(
        items,
        self_url=absolute(request, "/agenda.atom"),
        page_url=absolute(request, "/agenda"),
        author=author,
    )
    return web.Response(body=body, content_type=ATOM, charset="utf-8")


async def calls_atom(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        calls = await open_calls.list_calls(connection, FEED_LIMIT)
        names = await agenda.place_names(connection, sorted({c.actor_uri for c in calls}))
        author = await agenda.own_place_name(connection)
    for call in calls:
        if call.local:
            names[call.actor_uri] = author
    body = calls_feed(
        calls,
        names,
        self_url=request.app[URLS].base + "/calls.atom",
        page_url=request.app[URLS].base + "/calls.atom",
        author=author,
    )
    return web.Response(body=body, content_type=ATOM, charset="utf-8")


async def page(request: web.Request) -> web.Response:
    params = MultiDict((key, value) for key, value in request.query.items() if key != "lang")
    shown = {key: params.get(key, "") for key in params}
    if "tag" in params:
        shown["tag"] = ",".join(params.getall("tag"))
    try:
        query = parse_params(params)
    except ApiFailure as failure:
        problems = json.loads(failure.text or "{}").get("fields", {})
        error = "; ".join(f"{name}: {message}" for name, message in problems.items())
        values = agenda_values([], shown, None, error=error or "?")
        return render(request, "agenda.html", values, status=422)
    items, following = await agenda_page_of(request, filter_of(query))
    return render(request, "agenda.html", agenda_values(items, shown, following))


# Any site may frame the embeddable agenda: it shows public events and takes no input.
EMBEDDABLE = {
    "Content-Security-Policy": ONWARD_FORMS.replace("frame-ancestors 'none'", "frame-ancestors *")
}


async def embedded(request: web.Request) -> web.Response:
    """The agenda for an iframe on a place's own website: the same filters, no page around it."""
    params = MultiDict((key, value) for key, value in request.query.items() if key != "lang")
    query = parse_params(params)
    items, _ = await agenda_page_of(request, filter_of(query))
    full = "/agenda" + (f"?{request.query_string}" if request.query_string else "")
    values = {"items": items, "full": request.app[URLS].base + full}
    return render(request, "embed_agenda.html", values, headers=EMBEDDABLE)
