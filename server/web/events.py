"""The animateur's events: list, create, edit, cancel, delete, through the API's own processing
(server/processing/events) and validation (EventIn), with the same roles."""

from __future__ import annotations

import html
import re
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from schemas.api_events import EventIn
from server.appkeys import SERVICES
from server.database import DbConnection
from server.processing import events as event_processing
from server.processing.rsvp import RsvpError, answer_participant
from server.storage import events, participants, remote_actors
from server.storage.events import StoredEvent
from server.storage.participants import Taking
from server.storage.place_profile import place_zone
from server.urls import NodeUrls
from server.web import i18n
from server.web.forms import N_
from server.web.rendering import render
from server.web.sessions import account_for_action, posted_form, redirect

CREATE = ("POST", "/api/v1/events")
EDIT = ("PATCH", "/api/v1/events/{id}")
CANCEL = ("POST", "/api/v1/events/{id}/cancel")
DELETE = ("DELETE", "/api/v1/events/{id}")
ACCEPT = ("POST", "/api/v1/events/{id}/participants/accept")
REFUSE = ("POST", "/api/v1/events/{id}/participants/refuse")
FORM_FIELDS = (
    "name", "content", "start_time", "end_time", "timezone", "place", "online_url",
    "category", "tags", "join_mode", "maximum_attendee_capacity",
)  # fmt: skip
# The place's address as EventIn's PlaceIn names it, and as the form names it.
ADDRESS_FIELDS = {
    "street_address": "place_street",
    "postal_code": "place_postal_code",
    "address_locality": "place_locality",
    "address_region": "place_region",
    "address_country": "place_country",
}
MESSAGES = {
    "name": N_("Give the event a name (300 characters at most)."),
    "start_time": N_("A date and time, like 2030-06-21T18:30."),
    "end_time": N_("A date and time after the start."),
    "timezone": N_("A time zone like Europe/Paris."),
    "online_url": N_("An address starting with https://"),
    "tags": N_("Tags are single words of letters, digits or _, separated by commas."),
    "maximum_attendee_capacity": N_("A whole number of seats, at least 1; or nothing."),
    "place": N_("The name of the room or place (300 characters at most)."),
    "place_latitude": N_("A latitude between -90 and 90 and a longitude between -180 and 180."),
    "place_address": N_("Give the place a name to give its address; each line is short."),
    "attachments": N_("One per line: a name, then | and an address starting with https://"),
}
INVALID = N_("This value is not valid.")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/manage/events", events_page)
    router.add_get("/manage/events/new", new_event_page)
    router.add_post("/manage/events/new", create_event)
    router.add_get("/manage/events/{id:\\d{1,18}}", edit_event_page)
    router.add_post("/manage/events/{id:\\d{1,18}}", edit_event)
    router.add_post("/manage/events/{id:\\d{1,18}}/cancel", cancel_event)
    router.add_post("/manage/events/{id:\\d{1,18}}/delete", delete_event)
    router.add_post("/manage/events/{id:\\d{1,18}}/participants/accept", accept_participant)
    router.add_post("/manage/events/{id:\\d{1,18}}/participants/refuse", refuse_participant)


def text_of(content: str) -> str:
    """The stored (sanitised) HTML as the text an animateur edits."""
    import nh3  # loaded with the first HTML cleaned (server/processing/sanitise.py)

    spaced = re.sub(r"</p>\s*|<br\s*/?>", "\n\n", content)
    return html.unescape(nh3.clean(spaced, tags=set())).strip()


def html_of(text: str) -> str:
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    return "".join(f"<p>{html.escape(part)}</p>" for part in paragraphs)


def form_values(event: StoredEvent) -> dict[str, str]:
    data = event_processing.input_of(event)
    zone = data["timezone"]
    start = event.fields.start_time.astimezone(i18n.zone(zone))
    end = event.fields.end_time
    return {
        "name": data["name"],
        "content": text_of(data["content"]),
        "start_time": start.strftime("%Y-%m-%dT%H:%M"),
        "end_time": "" if end is None else end.astimezone(start.tzinfo).strftime("%Y-%m-%dT%H:%M"),
        "timezone": zone,
        "place": (data["place"] or {}).get("name", ""),
        "online_url": data["online_url"] or "",
        "category": data["category"] or "",
        "tags": ", ".join(data["tags"]),
        "join_mode": data["join_mode"],
        "maximum_attendee_capacity": str(data["maximum_attendee_capacity"] or ""),
        "attachments": "\n".join(f"{item['name']} | {item['url']}" for item in data["attachments"]),
    } | place_values(data["place"])


def place_values(place: dict[str, Any] | None) -> dict[str, str]:
    place = place or {}
    address = place.get("address") or {}
    values = {field: address.get(key) or "" for key, field in ADDRESS_FIELDS.items()}
    for axis in ("latitude", "longitude"):
        values[f"place_{axis}"] = "" if place.get(axis) is None else str(place[axis])
    return values


def place_input(value: dict[str, str], form: dict[str, str]) -> dict[str, Any] | None:
    """The room or place as EventIn's PlaceIn: a name, and an address and coordinates."""
    address = {key: form.get(field, "").strip() or None for key, field in ADDRESS_FIELDS.items()}
    latitude = form.get("place_latitude", "").strip() or None
    longitude = form.get("place_longitude", "").strip() or None
    if not value["place"]:
        if any(address.values()) or latitude or longitude:
            return {"address": address}  # refused: an address needs the place's name
        return None
    return {
        "name": value["place"],
        "address": address if any(address.values()) else None,
        "latitude": latitude,
        "longitude": longitude,
    }


def attachments_input(text: str) -> list[dict[str, str]]:
    """'name | https://…' per line; a line without a name is refused by EventIn."""
    found = []
    for line in text.splitlines():
        if line.strip():
            name, _, url = line.rpartition("|")
            found.append({"name": name.strip(), "url": url.strip()})
    return found


def raw_input(form: dict[str, str], base: dict[str, Any]) -> dict[str, Any]:
    """The form as the API's EventIn input, merged onto what the event already holds."""
    value = {name: form.get(name, "").strip() for name in FORM_FIELDS}
    capacity: Any = value["maximum_attendee_capacity"] or None
    return base | {
        "name": value["name"],
        "content": html_of(form.get("content", "")),
        "start_time": value["start_time"],
        "end_time": value["end_time"] or None,
        "timezone": value["timezone"],
        "place": place_input(value, form),
        "online_url": value["online_url"] or None,
        "category": value["category"] or None,
        "tags": [tag for tag in re.split(r"[,\s]+", value["tags"]) if tag],
        "join_mode": value["join_mode"] or "free",
        "maximum_attendee_capacity": capacity,
        "attachments": attachments_input(form.get("attachments", "")),
    }


def checked(raw: dict[str, Any]) -> tuple[EventIn | None, dict[str, str]]:
    try:
        return EventIn.model_validate(raw), {}
    except ValidationError as error:
        errors: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "end_time"
            if name == "place":  # shown beside the part of the place at fault
                name = "place" if "name" in problem["loc"] else place_field(problem["loc"])
            errors.setdefault(name, MESSAGES.get(name, INVALID))
        return None, errors


def place_field(where: tuple[int | str, ...]) -> str:
    return "place_address" if "address" in where else "place_latitude"


async def our_event(request: web.Request) -> StoredEvent:
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await events.find_by_id(connection, int(request.match_info["id"]))
    if found is None or not found.local:
        raise web.HTTPNotFound(text="no such event of this place")
    return found


async def events_page(request: web.Request) -> web.Response:
    account_for_action(request, *CREATE)
    async with request.app[SERVICES].pool.acquire() as connection:
        ours = [event for event in await events.list_events(connection) if event.local]
    return render(request, "manage_events.html", {"events": ours})


def form_page(
    request: web.Request,
    event: StoredEvent | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    taking_part: list[Taking] | None = None,
    names: dict[str, str] | None = None,
) -> web.Response:
    shown = {
        "event": event,
        "values": values,
        "errors": errors,
        "participants": taking_part,
        "names": names or {},
    }
    return render(request, "event_form.html", shown, status=status)


async def new_event_page(request: web.Request) -> web.Response:
    account_for_action(request, *CREATE)
    async with request.app[SERVICES].pool.acquire() as connection:
        values = {"timezone": await place_zone(connection), "join_mode": "free"}
    return form_page(request, None, values, {})


async def create_event(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *CREATE)
    form = await posted_form(request)
    body, errors = checked(raw_input(form, {}))
    if body is None:
        return form_page(request, None, form, errors, status=422)
    services = request.app[SERVICES]
    await event_processing.create_event(
        services.pool, services.urls, event_processing.fields_from_input(body)
    )
    raise redirect(request, "/manage/events", "event-published")


async def edit_event_page(request: web.Request) -> web.Response:
    account_for_action(request, *EDIT)
    event = await our_event(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        found = await participants.taking_part(connection, event.id)
        names = {
            item.participant: await who(connection, services.urls, item.participant)
            for item in found
        }
    return form_page(request, event, form_values(event), {}, taking_part=found, names=names)


async def who(connection: DbConnection, urls: NodeUrls, participant: str) -> str:
    """A participant as people name them: 'Name (name@host)', a member's name, or the id."""
    local = urls.local_actor_name(participant)
    if local is not None:
        return local
    actor = await remote_actors.find_remote_actor(connection, participant)
    if actor is None or not actor.preferred_username:
        return participant
    handle = f"{actor.preferred_username}@{actor.host}"
    return f"{actor.display_name} ({handle})" if actor.display_name else handle


async def edit_event(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *EDIT)
    event = await our_event(request)
    form = await posted_form(request)
    body, errors = checked(raw_input(form, event_processing.input_of(event)))
    if body is None:
        return form_page(request, event, form, errors, status=422)
    services = request.app[SERVICES]
    await event_processing.edit_event(
        services.pool, services.urls, event.id, event_processing.fields_from_input(body)
    )
    raise redirect(request, "/manage/events", "event-changed")


async def cancel_event(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *CANCEL)
    event = await our_event(request)
    await posted_form(request)
    body, _ = checked(event_processing.input_of(event) | {"status": "CANCELLED"})
    if body is not None:
        services = request.app[SERVICES]
        await event_processing.edit_event(
            services.pool, services.urls, event.id, event_processing.fields_from_input(body)
        )
    raise redirect(request, "/manage/events", "event-cancelled")


async def delete_event(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *DELETE)
    event = await our_event(request)
    await posted_form(request)
    services = request.app[SERVICES]
    await event_processing.delete_event(services.pool, services.urls, event)
    raise redirect(request, "/manage/events", "event-deleted")


async def answer(request: web.Request, accept: bool) -> web.StreamResponse:
    """Accept or refuse a participant who waits; back to the event's page in the editor."""
    account_for_action(request, *(ACCEPT if accept else REFUSE))
    event = await our_event(request)
    form = await posted_form(request)
    back = f"/manage/events/{event.id}#participants"
    services = request.app[SERVICES]
    try:
        async with services.pool.acquire() as connection, connection.transaction():
            await answer_participant(
                connection, services.urls, event.ap_id, form.get("participant", ""), accept
            )
    except RsvpError as error:
        raise redirect(request, back, error.code) from None
    raise redirect(request, back, "participant-accepted" if accept else "participant-refused")


async def accept_participant(request: web.Request) -> web.StreamResponse:
    return await answer(request, True)


async def refuse_participant(request: web.Request) -> web.StreamResponse:
    return await answer(request, False)
