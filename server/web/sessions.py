"""Who is signed in, and the rules every form and page obeys: CSRF tokens, roles, redirects.

The session cookie is HttpOnly and SameSite=Lax, and Secure when the node is reached over https.
Signed-in forms carry the session's own CSRF token; forms before signing in (the sign-in form
itself, an invitation) carry a token also set in a cookie of their own (double submit).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

from aiohttp import web

from server.appkeys import SERVICES, SETTINGS
from server.processing.web_sessions import session_for
from server.routes.api_registry import API
from server.routes.api_support import role_allows
from server.storage.accounts import Account
from server.storage.web_sessions import WebSession
from server.web import rendering

SESSION_COOKIE = "maillage_session"
CSRF_COOKIE = "maillage_csrf"
FLASH_COOKIE = rendering.FLASH_COOKIE
SESSION = web.RequestKey("web_session", WebSession)
ANONYMOUS_CSRF = web.RequestKey("anonymous_csrf", str)
# Paths a browser session never needs: the federation and the REST API read no cookie.
NO_SESSION_PREFIXES = ("/api/", "/inbox", "/.well-known/", "/static/", "/healthz", "/readyz")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def secure_cookies(request: web.Request) -> bool:
    return request.app[SETTINGS].public_url.startswith("https://")


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Lax",
        secure=secure_cookies(request),
        path="/",
        max_age=None if name == FLASH_COOKIE else 30 * 24 * 3600,
    )


@web.middleware
async def web_sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the signed-in session of a page's request; give forms an anonymous CSRF token."""
    if request.path.startswith(NO_SESSION_PREFIXES):
        return await handler(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = await session_for(request.app[SERVICES].pool, cookie)
        if session is not None:
            request[SESSION] = session
    anonymous = request.cookies.get(CSRF_COOKIE)
    fresh = not anonymous
    request[ANONYMOUS_CSRF] = anonymous or secrets.token_urlsafe(24)
    response = await handler(request)
    if fresh and SESSION not in request and response.content_type == "text/html":
        set_cookie(request, response, CSRF_COOKIE, request[ANONYMOUS_CSRF])
    return response


def current_session(request: web.Request) -> WebSession | None:
    found: WebSession | None = request.get(SESSION)
    return found


def csrf_token(request: web.Request) -> str:
    session = current_session(request)
    if session is not None:
        return session.csrf_token
    anonymous: str = request.get(ANONYMOUS_CSRF, "")
    return anonymous


def layout_values(request: web.Request) -> Mapping[str, Any]:
    session = current_session(request)
    return {
        "account": None if session is None else session.account,
        "csrf_token": csrf_token(request),
    }


rendering.CONTEXT_HOOKS.append(layout_values)


async def posted_form(request: web.Request) -> dict[str, str]:
    """The form's fields, once its CSRF token is checked (403 otherwise)."""
    form = await request.post()
    given = form.get("csrf")
    expected = csrf_token(request)
    if not isinstance(given, str) or not expected or not secrets.compare_digest(given, expected):
        raise forbidden(request, "csrf")
    return {key: value for key, value in form.items() if isinstance(value, str)}


def forbidden(request: web.Request, reason: str) -> web.HTTPException:
    page = rendering.render(request, "forbidden.html", {"reason": reason}, status=403)
    return web.HTTPForbidden(
        text=page.text, content_type="text/html", headers=rendering.SECURITY_HEADERS
    )


def signed_in(request: web.Request) -> Account:
    """The account signed in, or a redirection to the sign-in page that comes back here."""
    session = current_session(request)
    if session is None:
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
    return session.account


def account_for_action(request: web.Request, method: str, api_path: str) -> Account:
    """The account signed in, if it has the role the REST API requires for the same action."""
    account = signed_in(request)
    roles = API.roles_for(method, api_path)
    if roles is not None and not role_allows(account, roles):
        raise forbidden(request, "role")
    return account


def may(account: Account, method: str, api_path: str) -> bool:
    """Whether the account may do what the API route does (to show a link only when it works)."""
    roles = API.roles_for(method, api_path)
    return roles is None or role_allows(account, roles)


def redirect(request: web.Request, location: str, flash: str | None = None) -> web.HTTPSeeOther:
    """POST-redirect-GET, with a message (by key) for the next page."""
    response = web.HTTPSeeOther(location)
    if flash is not None:
        set_cookie(request, response, FLASH_COOKIE, flash)
    return response
