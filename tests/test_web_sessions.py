"""Signing in to the pages: server-side sessions behind an HttpOnly, SameSite=Lax cookie; a CSRF
token on every form; invitations by a single-use link; the API's role rules on the pages."""

from __future__ import annotations

import re
from types import SimpleNamespace

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from server.appkeys import SETTINGS
from server.web.sessions import set_cookie
from tests.network import LoopbackNetwork
from tests.test_api_neighbours import call, log_in
from tests.web_client import WebClient


def invitation_link(page: str) -> str:
    """The path of the link shown (its host is the node's public name, not this loopback)."""
    found = re.search(r'readonly value="http[^"]+(/invitations/[^"]+)"', page)
    assert found is not None, page
    return found.group(1)


async def test_invite_set_a_password_then_sign_in(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    async with WebClient(mende) as admin:
        await admin.sign_in()
        session = admin.cookie("maillage_session")
        assert session is not None
        assert session["httponly"] is True
        assert session["samesite"] == "Lax"
        assert not session["secure"]  # http in development; Secure whenever the node is https
        status, _ = await admin.get("/manage/members")
        assert status == 200
        status, _, page = await admin.post(
            "/manage/members",
            {"username": "nadia", "email": "nadia@example.org", "role": "animateur"},
        )
        assert status == 200, page
        link = invitation_link(page)
    async with WebClient(mende) as nadia:
        status, page = await nadia.get(link)
        assert status == 200
        assert "nadia" in page
        status, _, page = await nadia.post(link, {"password": "short"})
        assert status == 422
        assert 'aria-invalid="true"' in page  # the error beside the field
        status, location, _ = await nadia.post(link, {"password": "a good long password"})
        assert (status, location) == (303, "/manage")
        status, page = await nadia.get("/manage")
        assert status == 200
        assert "Bienvenue" in page
    async with WebClient(mende) as again:
        status, _ = await again.get(link)
        assert status == 404  # single use
        await again.get("/login")  # a page with a form, for its CSRF token
        status, _, _ = await again.post(link, {"password": "another long password"})
        assert status == 404
    # The password she chose is the one of her account, for the API as for the pages.
    assert await log_in(mende, "nadia", "a good long password")
    status, me = await call(
        mende, "GET", "/api/v1/me", token=await log_in(mende, "nadia", "a good long password")
    )
    assert (status, me["role"]) == (200, "animateur")


async def test_forms_without_their_csrf_token_change_nothing(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    async with WebClient(mende) as visitor:
        await visitor.get("/login")
        status, _, page = await visitor.post(
            "/login", {"username": "admin", "password": "x" * 12}, csrf="forged"
        )
        assert status == 403
        assert visitor.cookie("maillage_session") is None
    async with WebClient(mende) as admin:
        await admin.sign_in()
        await admin.get("/manage/members")
        status, _, page = await admin.post(
            "/manage/members",
            {"username": "eve", "email": "eve@example.org", "role": "administrator"},
            csrf="",
        )
        assert status == 403
        assert "expired" in page or "expiré" in page
        status, page = await admin.get("/manage/members")
        assert "eve@example.org" not in page
        assert "invitation-link" not in page


async def test_pages_ask_the_role_the_api_asks(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    admin_token = await log_in(mende)
    status, _ = await call(
        mende, "POST", "/api/v1/accounts", token=admin_token,
        body={"username": "paul", "email": "paul@example.org", "password": "y" * 12},
    )  # fmt: skip
    assert status == 201
    async with WebClient(mende) as anonymous:
        status, _ = await anonymous.get("/manage/members")
        assert status == 303  # to the sign-in page, which comes back here
    async with WebClient(mende) as paul:
        await paul.sign_in("paul", "y" * 12)
        status, _ = await paul.get("/manage/members")
        assert status == 403
        status, _ = await paul.get("/manage")
        assert status == 200
        status, _ = await call(
            mende, "GET", "/api/v1/accounts", token=await log_in(mende, "paul", "y" * 12)
        )
        assert status == 403  # the same rule


async def test_a_wrong_password_and_sessions_ended_elsewhere(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    async with WebClient(mende) as phone, WebClient(mende) as laptop:
        await phone.get("/login")
        status, _, page = await phone.post(
            "/login", {"username": "admin", "password": "wrong password", "next": "/manage"}
        )
        assert status == 401
        assert 'value="admin"' in page  # the value kept
        await phone.sign_in()
        await laptop.sign_in()
        await laptop.get("/account")
        status, location, _ = await laptop.post("/account/sessions/end", {})
        assert (status, location) == (303, "/account")
        assert (await phone.get("/manage"))[0] == 303  # signed out there
        assert (await laptop.get("/manage"))[0] == 200  # not here

        await phone.sign_in()
        await laptop.get("/account")
        status, _, page = await laptop.post(
            "/account/password", {"current": "not it at all", "new": "a new long password"}
        )
        assert status == 422
        assert 'id="e-current"' in page
        status, location, _ = await laptop.post(
            "/account/password", {"current": "x" * 12, "new": "a new long password"}
        )
        assert (status, location) == (303, "/account")
        assert (await phone.get("/manage"))[0] == 303
        status, _, _ = await laptop.post("/logout", {})
        assert (await laptop.get("/manage"))[0] == 303
    async with WebClient(mende) as again:
        await again.sign_in("admin", "a new long password")


async def test_the_language_follows_the_browser_then_the_switch(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    async with WebClient(mende, headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}) as reader:
        _, page = await reader.get("/agenda")
        assert 'lang="en"' in page
        assert "Network agenda" in page
        await reader.get("/places?lang=fr")
        _, page = await reader.get("/agenda")
        assert "Agenda du réseau" in page  # the switch sticks
    async with WebClient(mende) as reader:
        _, page = await reader.get("/agenda")
        assert "Agenda du réseau" in page  # French by default


async def test_an_administrator_changes_roles_and_removes_members(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    admin_token = await log_in(mende)
    status, paul = await call(
        mende, "POST", "/api/v1/accounts", token=admin_token,
        body={"username": "paul", "email": "paul@example.org", "password": "y" * 12},
    )  # fmt: skip
    assert status == 201
    status, me = await call(mende, "GET", "/api/v1/me", token=admin_token)
    async with WebClient(mende) as admin:
        await admin.sign_in()
        await admin.get("/manage/members")
        # The last administrator keeps the role.
        status, _, _ = await admin.post(f"/manage/members/{me['id']}/role", {"role": "member"})
        assert status == 303
        _, page = await admin.get("/manage/members")
        assert "au moins un·e administrateur·rice" in page
        status, _, _ = await admin.post(f"/manage/members/{paul['id']}/role", {"role": "animateur"})
        assert status == 303
        token = await log_in(mende, "paul", "y" * 12)
        assert (await call(mende, "GET", "/api/v1/me", token=token))[1]["role"] == "animateur"
        await admin.get("/manage/members")
        status, _, _ = await admin.post(f"/manage/members/{paul['id']}/remove", {})
        assert status == 303
        _, page = await admin.get("/manage/members")
        assert "paul@example.org" not in page
    status, _ = await call(
        mende, "POST", "/api/v1/auth/login", body={"username": "paul", "password": "y" * 12}
    )
    assert status == 401


def test_cookies_are_secure_whenever_the_node_is_reached_over_https() -> None:
    for public_url, secure in (
        ("https://mende.example.org", True),
        ("http://localhost:8080", False),
    ):
        app = web.Application()
        app[SETTINGS] = SimpleNamespace(public_url=public_url)  # type: ignore[assignment]
        request = make_mocked_request("POST", "/login", app=app)
        response = web.Response()
        set_cookie(request, response, "maillage_session", "value")
        cookie = response.cookies["maillage_session"]
        assert bool(cookie["secure"]) is secure
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
