"""Signing in and out, the account page (password, sessions) and accepting an invitation."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from schemas.api import AccountIn
from server.appkeys import SERVICES, SETTINGS
from server.login_throttle import LoginThrottled, check_password
from server.processing.accounts import AccountError
from server.processing.web_sessions import (
    accept_invitation,
    change_password,
    close_other_sessions,
    close_session,
    invitation_for,
    open_session,
)
from server.ratelimit import client_address
from server.storage.accounts import Account
from server.web.errors import message_of
from server.web.forms import N_, ROLE_NAMES
from server.web.rendering import render
from server.web.sessions import (
    SESSION_COOKIE,
    posted_form,
    redirect,
    set_cookie,
    signed_in,
)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/login", login_page)
    router.add_post("/login", login)
    router.add_post("/logout", logout)
    router.add_get("/account", account_page)
    router.add_post("/account/password", password)
    router.add_post("/account/sessions/end", end_other_sessions)
    router.add_get("/invitations/{secret}", invitation_page)
    router.add_post("/invitations/{secret}", invitation)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another site."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/manage"


async def login_page(request: web.Request) -> web.Response:
    values = {"next": safe_next(request.query.get("next")), "values": {}, "errors": {}}
    return render(request, "login.html", values | {"failed": False})


async def login(request: web.Request) -> web.StreamResponse:
    form = await posted_form(request)
    username = form.get("username", "").strip()
    following = safe_next(form.get("next"))
    services = request.app[SERVICES]
    address = client_address(request, request.app[SETTINGS].client_ip_header)
    values = {"next": following, "values": {"username": username}, "errors": {}}
    try:
        # The API's login throttle (per account and per address), one rule for both.
        account = await check_password(
            services.pool, services.login_throttle, username, form.get("password", ""), address
        )
    except LoginThrottled as refused:
        response = render(
            request,
            "login.html",
            values | {"wait": refused.retry_after, "failed": False},
            status=429,
        )
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    if account is None:
        return render(request, "login.html", values | {"failed": True}, status=401)
    return await start_session(request, account, following, "signed-in")


async def start_session(
    request: web.Request, account: Account, location: str, flash: str
) -> web.StreamResponse:
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await close_session(request.app[SERVICES].pool, old)
    response = redirect(request, location, flash)
    set_cookie(
        request, response, SESSION_COOKIE, await open_session(request.app[SERVICES].pool, account)
    )
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    await posted_form(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await close_session(request.app[SERVICES].pool, cookie)
    response = redirect(request, "/", "signed-out")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def account_values(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {"values": values, "errors": errors, "role_names": ROLE_NAMES}


async def account_page(request: web.Request) -> web.Response:
    signed_in(request)
    return render(request, "account.html", account_values({}, {}))


def password_problem(password: str) -> str | None:
    try:
        AccountIn.model_validate({"username": "x", "email": "x@example.org", "password": password})
    except ValidationError as error:
        return N_("At least 10 characters.") if error.errors() else None
    return None


async def password(request: web.Request) -> web.StreamResponse:
    account = signed_in(request)
    form = await posted_form(request)
    errors: dict[str, str] = {}
    problem = password_problem(form.get("new", ""))
    if problem is not None:
        errors["new"] = problem
    elif not await change_password(
        request.app[SERVICES].pool,
        account,
        form.get("current", ""),
        form.get("new", ""),
        request.cookies.get(SESSION_COOKIE, ""),
    ):
        errors["current"] = N_("This is not your current password.")
    if errors:
        return render(request, "account.html", account_values({}, errors), status=422)
    raise redirect(request, "/account", "password-changed")


async def end_other_sessions(request: web.Request) -> web.StreamResponse:
    account = signed_in(request)
    await posted_form(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    await close_other_sessions(request.app[SERVICES].pool, account, cookie)
    raise redirect(request, "/account", "others-signed-out")


async def invitation_page(request: web.Request) -> web.Response:
    found = await invitation_for(request.app[SERVICES].pool, request.match_info["secret"])
    values: dict[str, object] = {"invitation": found, "values": {}, "errors": {}}
    return render(request, "invitation.html", values, status=200 if found else 404)


async def invitation(request: web.Request) -> web.StreamResponse:
    secret = request.match_info["secret"]
    pool = request.app[SERVICES].pool
    form = await posted_form(request)
    found = await invitation_for(pool, secret)
    if found is None:
        return render(request, "invitation.html", {"invitation": None}, status=404)
    problem = password_problem(form.get("password", ""))
    errors: dict[str, str] = {}
    if problem is None:
        try:
            account = await accept_invitation(pool, secret, form["password"])
        except AccountError as error:
            errors["password"] = message_of(error)
        else:
            if account is None:
                return render(request, "invitation.html", {"invitation": None}, status=404)
            return await start_session(request, account, "/manage", "welcome")
    else:
        errors["password"] = problem
    shown = {"invitation": found, "values": {}, "errors": errors}
    return render(request, "invitation.html", shown, status=422)
