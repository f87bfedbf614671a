"""The animateur's open calls: list, publish, change, close as filled or not. Validated by the
API's CallIn/CallPatch and published by the same processing (server/processing/open_calls)."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from schemas.api_calls import CallIn, CallPatch
from server.appkeys import SERVICES
from server.processing.open_calls import CallError, change_call, close_call, create_call
from server.storage import open_calls
from server.storage.open_calls import StoredCall
from server.storage.place_profile import place_zone
from server.web import i18n
from server.web.forms import N_
from server.web.rendering import render
from server.web.sessions import account_for_action, posted_form, redirect

CREATE = ("POST", "/api/v1/calls")
EDIT = ("PATCH", "/api/v1/calls/{id}")
CLOSE = ("POST", "/api/v1/calls/{id}/close")
KINDS = ("projects", "skills", "partners", "volunteers")
MESSAGES = {
    "title": N_("Give the call a title (200 characters at most)."),
    "kind": N_("Choose a kind."),
    "deadline": N_("A date and time to come, like 2031-06-30T18:00; or nothing."),
    "skills_wanted": N_("One skill per line, 80 characters at most each."),
    "contact": N_("320 characters at most."),
    "territory": N_("200 characters at most."),
}
INVALID = N_("This value is not valid.")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/manage/calls", calls_page)
    router.add_get("/manage/calls/new", new_call_page)
    router.add_post("/manage/calls/new", publish_call)
    router.add_get("/manage/calls/{token}", edit_call_page)
    router.add_post("/manage/calls/{token}", edit_call)
    router.add_post("/manage/calls/{token}/close", close)


def form_values(call: StoredCall, zone: str) -> dict[str, str]:
    fields = call.fields
    deadline = fields.deadline
    return {
        "kind": fields.kind,
        "title": fields.title,
        "description": fields.description or "",
        "deadline": ""
        if deadline is None
        else deadline.astimezone(i18n.zone(zone)).strftime("%Y-%m-%dT%H:%M"),
        "skills_wanted": "\n".join(fields.skills_wanted),
        "territory": fields.territory or "",
        "contact": fields.contact or "",
    }


def raw_input(form: dict[str, str], zone: str) -> dict[str, Any]:
    deadline: Any = form.get("deadline", "").strip() or None
    if deadline is not None:
        # On the place's clock; left as typed when it is no date, and the model names the field.
        with suppress(ValueError):
            local = datetime.fromisoformat(deadline)
            deadline = local.replace(tzinfo=local.tzinfo or i18n.zone(zone)).isoformat()
    lines = form.get("skills_wanted", "").splitlines()
    return {
        "kind": form.get("kind", ""),
        "title": form.get("title", "").strip(),
        "description": form.get("description", "").strip(),
        "deadline": deadline,
        "skills_wanted": [line.strip() for line in lines if line.strip()],
        "territory": form.get("territory", "").strip() or None,
        "contact": form.get("contact", "").strip() or None,
    }


def problems(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "title"
        errors.setdefault(name, MESSAGES.get(name, INVALID))
    return errors


def form_page(
    request: web.Request,
    call: StoredCall | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    shown = {"call": call, "values": values, "errors": errors, "kinds": KINDS}
    return render(request, "call_form.html", shown, status=status)


async def our_call(request: web.Request) -> StoredCall:
    async with request.app[SERVICES].pool.acquire() as connection:
        call = await open_calls.find_by_token(connection, request.match_info["token"])
    if call is None or not call.local or call.deleted_at is not None:
        raise web.HTTPNotFound(text="no open call of this place")
    return call


async def calls_page(request: web.Request) -> web.Response:
    account_for_action(request, *CREATE)
    async with request.app[SERVICES].pool.acquire() as connection:
        ours = [call for call in await open_calls.list_calls(connection) if call.local]
        values = {"calls": ours, "timezone": await place_zone(connection)}
    return render(request, "manage_calls.html", values)


async def new_call_page(request: web.Request) -> web.Response:
    account_for_action(request, *CREATE)
    return form_page(request, None, {"kind": "projects"}, {})


async def publish_call(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *CREATE)
    form = await posted_form(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        try:
            body = CallIn.model_validate(raw_input(form, await place_zone(connection)))
        except ValidationError as error:
            return form_page(request, None, form, problems(error), status=422)
        async with connection.transaction():
            await create_call(connection, services.urls, body)
    raise redirect(request, "/manage/calls", "call-published")


async def edit_call_page(request: web.Request) -> web.Response:
    account_for_action(request, *EDIT)
    call = await our_call(request)
    async with request.app[SERVICES].pool.acquire() as connection:
        zone = await place_zone(connection)
    return form_page(request, call, form_values(call, zone), {})


async def edit_call(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *EDIT)
    call = await our_call(request)
    form = await posted_form(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        zone = await place_zone(connection)
    try:
        patch = CallPatch.model_validate(raw_input(form, zone))
    except ValidationError as error:
        return form_page(request, call, form, problems(error), status=422)
    try:
        async with services.pool.acquire() as connection, connection.transaction():
            await change_call(connection, services.urls, call.token or "", patch)
    except CallError as error:
        return form_page(request, call, form, {error.field: INVALID}, status=422)
    raise redirect(request, "/manage/calls", "call-changed")


async def close(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *CLOSE)
    call = await our_call(request)
    form = await posted_form(request)
    status = "filled" if form.get("status") == "filled" else "closed"
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection, connection.transaction():
        await close_call(connection, services.urls, call.token or "", status)
    raise redirect(request, "/manage/calls", f"call-{status}")
