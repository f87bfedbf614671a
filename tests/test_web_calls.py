"""The animateur's open calls: a deadline in the past is named beside its field; a call is
published, changed, then closed as filled, and its public page says so."""

from __future__ import annotations

import re

from tests.network import LoopbackNetwork
from tests.web_client import WebClient

CALL = {
    "kind": "volunteers",
    "title": "Bénévoles pour la fête du vélo",
    "description": "Nous cherchons des bras.",
    "deadline": "2031-05-01T18:00",
    "skills_wanted": "mécanique\naccueil",
    "territory": "Lozère",
    "contact": "contact@example.org",
}


async def test_publish_change_and_close_an_open_call(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    async with WebClient(mende) as admin, WebClient(mende) as visitor:
        await admin.sign_in()
        await admin.get("/manage/calls/new")
        status, _, page = await admin.post(
            "/manage/calls/new", CALL | {"deadline": "2020-01-01T10:00"}
        )
        assert status == 422
        assert 'id="e-deadline"' in page
        assert "Bénévoles pour la fête du vélo" in page
        status, location, _ = await admin.post("/manage/calls/new", CALL)
        assert (status, location) == (303, "/manage/calls")
        _, page = await admin.get("/manage/calls")
        token = re.search(r'href="/manage/calls/(?!new")([^"/]+)"', page)
        assert token is not None
        assert "1 mai 2031, 18 h 00" in page  # the place's clock (UTC until it says)
        edit = f"/manage/calls/{token.group(1)}"
        _, page = await admin.get(edit)
        assert 'value="2031-05-01T18:00"' in page
        status, _, _ = await admin.post(edit, CALL | {"title": "Bénévoles, fête du vélo"})
        assert status == 303
        await admin.get("/manage/calls")
        status, _, _ = await admin.post(f"{edit}/close", {"status": "filled"})
        assert status == 303
        _, page = await visitor.get(f"/calls/{token.group(1)}")
        assert "Bénévoles, fête du vélo" in page
        assert "<dd>Pourvu</dd>" in page
