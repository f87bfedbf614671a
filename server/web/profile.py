"""A member's own profile: name, bio, skills, links; who sees it, with a preview of exactly what a
neighbour node receives; withdrawing it; downloading everything the node holds about them.
The API's ProfileIn validation, profile processing and document (person_document)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from schemas.api_profiles import ProfileIn
from server.appkeys import SERVICES, URLS
from server.documents.profiles import person_document
from server.processing import profiles
from server.processing.personal_data import personal_data
from server.processing.profiles import ProfileError
from server.routes.api_profiles import profile_from
from server.storage.keys import key_pairs_of
from server.storage.local_actors import find_local_actor
from server.storage.personal_data import rsvps_of
from server.web.forms import N_
from server.web.rendering import render
from server.web.sessions import account_for_action, posted_form, redirect

EDIT = ("PUT", "/api/v1/me/profile")
VISIBILITY = ("PUT", "/api/v1/me/profile/visibility")
LEVELS = ("private", "members", "network")
MESSAGES = {
    "name": N_("100 characters at most."),
    "skills": N_("One skill per line, 80 characters at most each, 50 at most."),
    "links": N_("One per line: a label, then | and an address starting with https://"),
    "bio": N_("This text is too long."),
}
INVALID = N_("This value is not valid.")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/me/profile", profile_page)
    router.add_post("/me/profile", save_profile)
    router.add_post("/me/profile/visibility", set_visibility)
    router.add_get("/me/data.json", download)
    router.add_get("/me/rsvps", rsvps_page)


async def shown(request: web.Request, username: str) -> dict[str, Any]:
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        local = await profiles.profile_of(connection, username)
        actor = await find_local_actor(connection, username)
        pairs = await key_pairs_of(connection, username)
    assert actor is not None  # a member always has their Person actor
    # Exactly the document served to other servers once shared, whatever the level is now.
    shared = dataclasses.replace(actor, visibility="network")
    preview = person_document(request.app[URLS], shared, pairs, local)
    profile = local.profile
    return {
        "visibility": local.visibility,
        "levels": LEVELS,
        "preview": json.dumps(preview, ensure_ascii=False, indent=2),
        "values": {
            "name": profile.name,
            "bio": profile.bio,
            "skills": "\n".join(skill.name for skill in profile.skills),
            "links": "\n".join(f"{link.label} | {link.url}" for link in profile.links),
        },
        "errors": {},
    }


async def profile_page(request: web.Request) -> web.Response:
    account = account_for_action(request, *EDIT)
    return render(request, "profile.html", await shown(request, account.username))


def profile_input(form: dict[str, str], avatar: str | None) -> dict[str, Any]:
    links = []
    for line in form.get("links", "").splitlines():
        if line.strip():
            label, bar, url = line.rpartition("|")
            links.append({"label": label.strip() if bar else "", "url": url.strip()})
    skills = [
        {"name": line.strip()} for line in form.get("skills", "").splitlines() if line.strip()
    ]
    return {
        "name": form.get("name", "").strip(),
        "bio": form.get("bio", "").strip(),
        "skills": skills,
        "links": links,
        "avatar": avatar,
    }


async def save_profile(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *EDIT)
    form = await posted_form(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        current = await profiles.profile_of(connection, account.username)
    try:
        body = ProfileIn.model_validate(profile_input(form, current.profile.avatar))
    except ValidationError as error:
        errors: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "name"
            errors.setdefault(name, MESSAGES.get(name, INVALID))
        values = await shown(request, account.username) | {"values": form, "errors": errors}
        return render(request, "profile.html", values, status=422)
    try:
        await profiles.edit_profile(
            services.pool, services.urls, account.username, profile_from(body)
        )
    except ProfileError as error:
        raise web.HTTPNotFound(text=error.message) from None
    raise redirect(request, "/me/profile", "profile-saved")


async def set_visibility(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *VISIBILITY)
    form = await posted_form(request)
    level = form.get("visibility", "")
    if level not in LEVELS:
        raise web.HTTPUnprocessableEntity(text="visibility: private, members or network")
    services = request.app[SERVICES]
    await profiles.change_visibility(services.pool, services.urls, account.username, level)
    raise redirect(request, "/me/profile", f"visibility-{level}")


async def download(request: web.Request) -> web.Response:
    account = account_for_action(request, "GET", "/api/v1/me/profile")
    data = await personal_data(request.app[SERVICES].pool, request.app[URLS], account)
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, indent=2, default=str),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{account.username}-maillage.json"'},
    )


async def rsvps_page(request: web.Request) -> web.Response:
    account = account_for_action(request, "POST", "/api/v1/events/rsvp")
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await rsvps_of(connection, account.username)
    return render(request, "rsvps.html", {"rsvps": found})
