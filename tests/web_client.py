"""A person's browser reduced to HTTP: one cookie jar, forms sent with the CSRF token of the page
they came from. The browser tests (Chromium) cover what needs a real browser; this covers rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.network import NetworkNode

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')


@dataclass
class WebClient:
    node: NetworkNode
    headers: dict[str, str] = field(default_factory=dict)
    session: aiohttp.ClientSession | None = None
    last_page: str = ""

    async def __aenter__(self) -> WebClient:
        # Cookies of 127.0.0.1: aiohttp keeps cookies of IP addresses only when told to.
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), headers=self.headers
        )
        return self

    async def __aexit__(self, *_: Any) -> None:
        assert self.session is not None
        await self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"http://127.0.0.1:{self.node.port}{path}"

    async def get(self, path: str) -> tuple[int, str]:
        assert self.session is not None
        async with self.session.get(self.url(path), allow_redirects=False) as response:
            self.last_page = await response.text()
            return response.status, self.last_page

    def csrf(self) -> str:
        found = CSRF_FIELD.search(self.last_page)
        assert found is not None, "the page has no form"
        return found.group(1)

    async def post(
        self, path: str, data: dict[str, str], *, csrf: str | None = None
    ) -> tuple[int, str, str]:
        """Send a form as from the last page; the status, the redirection and the body."""
        assert self.session is not None
        token = self.csrf() if csrf is None else csrf
        async with self.session.post(
            self.url(path), data={**data, "csrf": token}, allow_redirects=False
        ) as response:
            body = await response.text()
            if response.status == 200 or response.status >= 400:
                self.last_page = body
            return response.status, response.headers.get("Location", ""), body

    def cookie(self, name: str) -> aiohttp.cookiejar.Morsel[str] | None:
        assert self.session is not None
        for cookie in self.session.cookie_jar:
            if cookie.key == name:
                return cookie
        return None

    async def sign_in(self, username: str = "admin", password: str = "x" * 12) -> None:
        await self.get("/login")
        status, location, body = await self.post(
            "/login", {"username": username, "password": password, "next": "/manage"}
        )
        assert (status, location) == (303, "/manage"), body
