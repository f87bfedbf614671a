"""Our events as ActivityPub documents: the Event at its id, and its participants."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import SERVICES, URLS
from server.documents.collections import PAGE_SIZE, collection, collection_page
from server.documents.events import event_document, participants_url, tombstone
from server.routes.collections import page_number
from server.routes.negotiation import activity_json, wants_activitypub
from server.storage import events, participants
from server.storage.events import DeletedEvent, StoredEvent
from server.storage.local_actors import PLACE
from server.web.rendering import ONWARD_FORMS, render


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/events/{token}", event)
    router.add_get("/events/{token}/participants", event_participants)


async def local_event(request: web.Request) -> StoredEvent | DeletedEvent:
    """One of our events by its token, or what remains of it once deleted; 404 if unknown."""
    token = request.match_info["token"]
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await events.find_by_token(connection, token)
        if found is not None:
            return found
        deleted = await events.find_deleted_by_token(connection, token)
    if deleted is None:
        raise web.HTTPNotFound(text="no such event on this node")
    return deleted


def gone(request: web.Request, deleted: DeletedEvent) -> web.Response:
    """410 Gone: the Tombstone for ActivityPub clients, a short text for browsers."""
    if wants_activitypub(request):
        return activity_json(
            tombstone(deleted.ap_id, deleted.deleted_at, with_context=True), status=410
        )
    raise web.HTTPGone(
        text="this event was deleted / cet événement a été supprimé", headers={"Vary": "Accept"}
    )


async def event(request: web.Request) -> web.Response:
    found = await local_event(request)
    if isinstance(found, DeletedEvent):
        return gone(request, found)
    if wants_activitypub(request):
        return activity_json(event_document(found, request.app[URLS].followers(PLACE)))
    headers = {"Vary": "Accept", "Content-Security-Policy": ONWARD_FORMS}
    return render(request, "event.html", event_values(found), headers=headers)


# Maps are links to OpenStreetMap, never a map loaded from another site.
OSM = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
ADDRESS_PARTS = ("streetAddress", "postalCode", "addressLocality", "addressRegion")


def place_line(item: dict[str, object]) -> str:
    """A location as one line: its name, then its address when it has one."""
    name = str(item.get("name") or item.get("url") or "")
    address = item.get("address")
    if isinstance(address, dict):
        parts = [str(address[key]) for key in ADDRESS_PARTS if address.get(key)]
        street, rest = parts[:1], " ".join(parts[1:])
        written = ", ".join([*street, *([rest] if rest else [])])
        return f"{name} — {written}" if written else name
    if isinstance(address, str) and address:
        return f"{name} — {address}"
    return name


def event_values(found: StoredEvent, **more: object) -> dict[str, object]:
    """What the event's page shows; `more` adds a form's values and errors."""
    places = [
        place_line(item) for item in found.fields.location if item.get("name") or item.get("url")
    ]
    maps = [
        OSM.format(lat=item["latitude"], lon=item["longitude"])
        for item in found.fields.location
        if isinstance(item.get("latitude"), int | float)
        and isinstance(item.get("longitude"), int | float)
    ]
    # Links are shown only when they lead to a web page (never javascript: and the like).
    links = [
        item
        for item in found.fields.attachments
        if isinstance(item.get("href"), str) and item["href"].startswith(("https://", "http://"))
    ]
    path = f"/events/{found.token}"
    values = {
        "event": found,
        "places": places,
        "map": maps[0] if maps else None,
        "links": links,
        "ics": f"{path}.ics",
        "path": path,
    }
    return values | {"values": {}, "errors": {}} | more


async def event_participants(request: web.Request) -> web.Response:
    found = await local_event(request)
    if isinstance(found, DeletedEvent):
        return gone(request, found)
    uri = participants_url(found.ap_id)
    page = page_number(request)
    async with request.app[SERVICES].pool.acquire() as connection:
        total, items = await participants.listable_page(
            connection,
            found.id,
            request.app[URLS].actor(""),
            PAGE_SIZE,
            ((page or 1) - 1) * PAGE_SIZE,
        )
    if page is None:
        return activity_json(collection(uri, total))
    return activity_json(collection_page(uri, page, total, list(items)))
