"""Joining an event from its page: a member of this node in one click; a visitor from another
server by their handle, sent to their own server (WebFinger subscribe template); and this node's
side of that template (/interact), where our members join what they found elsewhere."""

from __future__ import annotations

from contextlib import suppress
from urllib.parse import quote

from aiohttp import web

from server.appkeys import SERVICES
from server.processing.remote_interaction import NoInteraction, interaction_url
from server.processing.rsvp import RsvpError, join_event, leave_event
from server.routes.events import event_values, local_event
from server.storage.events import DeletedEvent, StoredEvent
from server.web.forms import N_
from server.web.rendering import ONWARD_FORMS, render
from server.web.sessions import account_for_action, posted_form, redirect

JOIN = ("POST", "/api/v1/events/rsvp")
LEAVE = ("DELETE", "/api/v1/events/rsvp")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/events/{token}/join", join)
    router.add_post("/events/{token}/leave", leave)
    router.add_get("/events/{token}/elsewhere", join_elsewhere)
    router.add_get("/interact", interact_page)
    router.add_post("/interact", interact)


async def live_event(request: web.Request) -> StoredEvent:
    found = await local_event(request)
    if isinstance(found, DeletedEvent):
        raise web.HTTPGone(text="this event was deleted / cet événement a été supprimé")
    return found


async def join(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *JOIN)
    event = await live_event(request)
    await posted_form(request)
    services = request.app[SERVICES]
    back = f"/events/{event.token}"
    try:
        joined = await join_event(services.pool, services.node, account.username, event.ap_id)
    except RsvpError as error:
        raise redirect(request, back, error.code) from None
    if joined.refusal is not None:
        raise redirect(request, back, joined.refusal.code)
    raise redirect(request, back, "join-pending" if joined.state == "pending" else "joined")


async def leave(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *LEAVE)
    event = await live_event(request)
    await posted_form(request)
    services = request.app[SERVICES]
    with suppress(RsvpError):  # not joined: nothing to leave
        await leave_event(services.pool, services.node, account.username, event.ap_id)
    raise redirect(request, f"/events/{event.token}", "left")


async def join_elsewhere(request: web.Request) -> web.StreamResponse:
    """A plain GET form: nothing changes here, the visitor's own server asks them to confirm."""
    event = await live_event(request)
    handle = request.query.get("handle", "").strip()
    services = request.app[SERVICES]
    try:
        target = await interaction_url(
            services.fetcher, handle, event.ap_id, services.settings.development
        )
    except NoInteraction:
        message = N_("No server answers for this handle; check it, like name@server.example.")
        values = event_values(event, values={"handle": handle}, errors={"handle": message})
        headers = {"Content-Security-Policy": ONWARD_FORMS}
        return render(request, "event.html", values, status=422, headers=headers)
    raise web.HTTPSeeOther(target)


async def interact_page(request: web.Request) -> web.Response:
    account_for_action(request, *JOIN)
    uri = request.query.get("uri", "").strip()
    if not uri.startswith(("https://", "http://")):
        raise web.HTTPBadRequest(text="uri must be the address of an event")
    return render(request, "interact.html", {"uri": uri})


async def interact(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *JOIN)
    form = await posted_form(request)
    uri = form.get("uri", "").strip()
    services = request.app[SERVICES]
    back = f"/interact?uri={quote(uri, safe='')}"
    try:
        joined = await join_event(services.pool, services.node, account.username, uri)
    except RsvpError as error:
        raise redirect(request, back, error.code) from None
    if joined.refusal is not None:
        raise redirect(request, back, joined.refusal.code)
    raise redirect(request, back, "joined")
