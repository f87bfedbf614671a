"""The animateur's events pages: a form with errors keeps its values and says what is wrong
beside each field; a published event reaches a neighbour's agenda page, then its change, its
cancellation and its deletion."""

from __future__ import annotations

import re

from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_federation_network import accepted, follow
from tests.web_client import WebClient

EVENT = {
    "name": "Atelier réparation de vélos",
    "content": "Venez avec votre vélo.\n\nOutils fournis.",
    "start_time": "2031-06-21T18:30",
    "end_time": "",
    "timezone": "Europe/Paris",
    "place": "L'atelier",
    "online_url": "",
    "category": "atelier",
    "tags": "vélo, réparation",
    "join_mode": "free",
    "maximum_attendee_capacity": "12",
}


async def test_an_event_made_in_the_pages_reaches_a_neighbours_agenda(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the follow")
    async with WebClient(mende) as admin, WebClient(florac) as neighbour:
        await admin.sign_in()
        status, _ = await admin.get("/manage/events/new")
        assert status == 200
        wrong = EVENT | {"maximum_attendee_capacity": "-3", "timezone": "Mars/Olympus"}
        status, _, page = await admin.post("/manage/events/new", wrong)
        assert status == 422
        assert 'id="e-maximum_attendee_capacity"' in page
        assert 'id="e-timezone"' in page
        assert 'value="Atelier réparation de vélos"' in page  # kept
        assert "Outils fournis." in page
        before = EVENT | {"end_time": "2031-06-20T10:00"}
        status, _, page = await admin.post("/manage/events/new", before)
        assert status == 422
        assert 'id="e-end_time"' in page

        status, location, _ = await admin.post("/manage/events/new", EVENT)
        assert (status, location) == (303, "/manage/events")
        status, page = await admin.get("/manage/events")
        assert "L&#39;événement est publié" in page
        assert "samedi 21 juin 2031, 18 h 30" in page  # on the place's clock, in French
        number = re.search(r'href="/manage/events/(\d+)"', page)
        assert number is not None

        async def on_agenda(text: str) -> str | None:
            _, shown = await neighbour.get("/agenda?from=2031-01-01T00:00:00Z")
            return shown if text in shown else None

        await wait_until(lambda: on_agenda("Atelier réparation de vélos"), what="the event")

        edit = f"/manage/events/{number.group(1)}"
        status, page = await admin.get(edit)
        assert 'value="2031-06-21T18:30"' in page
        assert "Venez avec votre vélo." in page
        status, location, _ = await admin.post(edit, EVENT | {"name": "Atelier vélo"})
        assert (status, location) == (303, "/manage/events")
        await wait_until(lambda: on_agenda("Atelier vélo<"), what="the change")

        await admin.get("/manage/events")
        status, _, _ = await admin.post(f"{edit}/cancel", {})
        assert status == 303
        shown = await wait_until(lambda: on_agenda("Annulé"), what="the cancellation")
        assert "Atelier vélo" in shown

        await admin.get("/manage/events")
        status, _, _ = await admin.post(f"{edit}/delete", {})
        assert status == 303

        async def gone() -> bool:
            _, shown = await neighbour.get("/agenda?from=2031-01-01T00:00:00Z")
            return "Atelier vélo" not in shown

        await wait_until(gone, what="the deletion")
        status, page = await admin.get("/manage/events")
        assert "Atelier vélo" not in page
