"""The dashboard and the members of the node: inviting a person by a single-use link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from federation.hosts import InvalidHost, canonical_host
from schemas.api import AccountIn
from server.appkeys import SERVICES, URLS
from server.processing.accounts import AccountError, all_accounts, change_role
from server.processing.neighbours import list_neighbours
from server.processing.profiles import ProfileError, delete_member
from server.processing.web_sessions import INVITATION_LIFETIME, invite
from server.storage import accounts, outbox, remote_hosts
from server.storage.attention import calls_due, new_participants, waiting_participants
from server.web.forms import N_, ROLE_NAMES
from server.web.neighbours import allowed
from server.web.rendering import render
from server.web.sessions import account_for_action, may, posted_form, redirect, signed_in

# The same actions, hence the same roles, as the REST API's.
LIST_MEMBERS = ("GET", "/api/v1/accounts")
ADD_MEMBER = ("POST", "/api/v1/accounts")
INVALID = {
    "username": N_("Lowercase letters, digits and _ only, 30 at most."),
    "email": N_("An email address, like name@example.org."),
    "role": N_("Choose a role."),
}


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/manage", dashboard)
    router.add_get("/manage/members", members_page)
    router.add_post("/manage/members", invite_member)
    router.add_post("/manage/members/{id:\\d{1,18}}/role", set_member_role)
    router.add_post("/manage/members/{id:\\d{1,18}}/remove", remove_member)
    router.add_post("/manage/deliveries/retry", retry_deliveries)


async def attention(request: web.Request, can: dict[str, Any]) -> dict[str, object]:
    """What needs the animateur: each part only for those whose role may act on it."""
    found: dict[str, object] = {
        "followers": [],
        "waiting": [],
        "participants": [],
        "calls": [],
        "failing": [],
    }
    if not can["events"]:
        return found
    services = request.app[SERVICES]
    if can["neighbours"]:
        neighbours = await list_neighbours(services.pool, services.node)
        found["followers"] = [n for n in neighbours if n.follows_us == "pending"]
    async with services.pool.acquire() as connection:
        found["waiting"] = await waiting_participants(connection)
        found["participants"] = await new_participants(connection)
        found["calls"] = await calls_due(connection)
        if can["deliveries"]:
            states = await outbox.delivery_state_by_host(connection)
            now = datetime.now(UTC)
            found["failing"] = [
                state
                for state in states
                if state.consecutive_failures > 0
                or (state.circuit_open_until is not None and state.circuit_open_until > now)
            ]
    return found


async def dashboard(request: web.Request) -> web.Response:
    account = signed_in(request)
    can = {
        "deliveries": may(account, "GET", "/api/v1/deliveries"),
        "events": may(account, "POST", "/api/v1/events"),
        "members": may(account, *LIST_MEMBERS),
        "place": may(account, "PUT", "/api/v1/place"),
        "neighbours": may(account, "GET", "/api/v1/neighbours"),
        "reports": may(account, "GET", "/api/v1/moderation/reports"),
        "trust": may(account, "GET", "/api/v1/moderation/trust-lists"),
        "moderation": may(account, "GET", "/api/v1/moderation/domains"),
        "followers": allowed(account),
    }
    base = request.app[URLS].base
    snippet = (
        f'<iframe src="{base}/embed/agenda?place={base}/actors/place" title="Agenda" '
        'width="100%" height="600" style="border:0"></iframe>'
    )
    values = {"can": can, "snippet": snippet, "attention": await attention(request, can)}
    return render(request, "manage.html", values)


# The same action as the REST API's, hence the same role.
RETRY_DELIVERIES = ("POST", "/api/v1/deliveries/{host}/retry")


async def retry_deliveries(request: web.Request) -> web.StreamResponse:
    """An operator lifts a host's pause from the dashboard, as `maillage deliveries retry`."""
    account_for_action(request, *RETRY_DELIVERIES)
    form = await posted_form(request)
    try:
        host = canonical_host(form.get("host", ""))
    except InvalidHost:
        raise web.HTTPUnprocessableEntity(text="host: not a host name") from None
    async with request.app[SERVICES].pool.acquire() as connection:
        pending = await remote_hosts.retry_now(connection, host)
    raise redirect(request, "/manage", "deliveries-retried" if pending is not None else None)


async def members_values(request: web.Request) -> dict[str, object]:
    return {
        "members": await all_accounts(request.app[SERVICES].pool),
        "role_names": ROLE_NAMES,
        "values": {"role": "member"},
        "errors": {},
        "link": None,
        "days": INVITATION_LIFETIME.days,
    }


async def members_page(request: web.Request) -> web.Response:
    account_for_action(request, *LIST_MEMBERS)
    return render(request, "members.html", await members_values(request))


async def invite_member(request: web.Request) -> web.Response:
    account = account_for_action(request, *ADD_MEMBER)
    form = await posted_form(request)
    wanted = {name: form.get(name, "").strip() for name in ("username", "email", "role")}
    errors: dict[str, str] = {}
    try:
        # The API's own rule for a new account; the password is the invited person's to choose.
        AccountIn.model_validate(wanted | {"password": "chosen-later"})
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0])
            errors[name] = INVALID.get(name, problem["msg"])
    pool = request.app[SERVICES].pool
    if not errors:
        async with pool.acquire() as connection:
            if await accounts.find_account(connection, wanted["username"]) is not None:
                errors["username"] = N_("This username is already taken.")
    values = await members_values(request)
    if errors:
        return render(
            request, "members.html", values | {"values": wanted, "errors": errors}, status=422
        )
    secret = await invite(pool, wanted["username"], wanted["email"], wanted["role"], account)
    # Shown once, here, rather than after a redirection: the link is a secret, kept out of URLs.
    link = f"{request.app[URLS].base}/invitations/{secret}"
    return render(request, "members.html", values | {"link": link, "invited": wanted["username"]})


async def set_member_role(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *ADD_MEMBER)
    form = await posted_form(request)
    role = form.get("role", "")
    if role not in ROLE_NAMES:
        raise web.HTTPUnprocessableEntity(text="role: administrator, animateur or member")
    try:
        changed = await change_role(request.app[SERVICES].pool, int(request.match_info["id"]), role)
    except AccountError:
        raise redirect(request, "/manage/members", "last-administrator") from None
    if changed is None:
        raise web.HTTPNotFound(text="no such member")
    raise redirect(request, "/manage/members", "role-changed")


async def remove_member(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *ADD_MEMBER)
    await posted_form(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        found = await accounts.find_account_by_id(connection, int(request.match_info["id"]))
    if found is None:
        raise web.HTTPNotFound(text="no such member")
    try:
        # As when members delete their own account: a shared profile is withdrawn first.
        await delete_member(services.pool, services.urls, found)
    except ProfileError:
        raise redirect(request, "/manage/members", "last-administrator") from None
    raise redirect(request, "/manage/members", "member-removed")
