"""Public pages' rules: our own stylesheet only, no framing but the embeddable agenda, whose
snippet the dashboard shows; an event page shows seats left and its .ics."""

from __future__ import annotations

import re

import aiohttp

from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import member, publish_event
from tests.test_federation_network import accepted, follow
from tests.web_client import WebClient


async def test_the_embeddable_agenda_may_be_framed_and_the_other_pages_not(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    created = await publish_event(
        mende, await log_in(mende), name="Atelier couture",
        start_time="2031-02-03T14:00:00", end_time="2031-02-03T17:00:00",
    )  # fmt: skip
    base = f"http://127.0.0.1:{mende.port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/embed/agenda?place={mende.place}") as response:
            assert response.status == 200
            assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
            page = await response.text()
        assert "Atelier couture" in page
        assert "<nav" not in page  # no site around it
        for path in ("/", "/agenda", "/places", "/login"):
            async with session.get(base + path) as response:
                policy = response.headers["Content-Security-Policy"]
                assert "frame-ancestors 'none'" in policy, path
                assert "script-src 'self'" in policy
                page = await response.text()
                # Nothing loaded from another site: no script, our stylesheet only, no image.
                assert "<script" not in page, path
                assert re.findall(r'rel="stylesheet" href="([^"]+)"', page) == [
                    "/static/maillage.css"
                ], path
                assert "<img" not in page, path
        path = created["ap_id"].removeprefix(mende.base)
        async with session.get(base + path + "?lang=en") as response:
            page = await response.text()
        assert "5 seats left" in page
        assert f'href="{path}.ics"' in page
    async with WebClient(mende) as admin:
        await admin.sign_in()
        _, page = await admin.get("/manage")
        assert "/embed/agenda?place=" in page
        assert "&lt;iframe" in page  # shown as text to copy, not as a frame


async def test_the_dashboard_shows_new_participants_to_the_animateur(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    admin_token = await log_in(mende)
    created = await publish_event(mende, admin_token, name="Atelier tricot")
    paul = await member(mende, admin_token, "paul")
    status, _ = await call(
        mende, "POST", "/api/v1/events/rsvp", token=paul, body={"event": created["ap_id"]}
    )
    assert status == 202
    async with WebClient(mende) as admin:
        await admin.sign_in()
        _, page = await admin.get("/manage")
        assert "Nouveau participant à Atelier tricot" in page
        _, page = await admin.get(f"/manage/events/{created['id']}")
        assert f"{mende.base}/actors/paul" in page  # the participants list
    async with WebClient(mende) as member_page:
        await member_page.sign_in("paul", "y" * 12)
        _, page = await member_page.get("/manage")
        assert "Atelier tricot" not in page  # a member's dashboard has no animation part
        _, page = await member_page.get("/me/rsvps")
        assert "Atelier tricot" in page
        assert "accepté" in page


async def test_the_page_cache_serves_visitors_only_and_forgets_on_change(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    async with WebClient(mende) as visitor, WebClient(mende) as admin:
        _, page = await visitor.get("/")
        assert "Se connecter" in page
        await admin.sign_in()
        _, page = await admin.get("/")
        assert "Tableau de bord" in page  # never the visitor's cached page
        _, page = await visitor.get("/?lang=en")
        assert "Sign in" in page  # each language its own page
        _, page = await visitor.get("/")  # now kept for a second
        assert "Fête des voisins" not in page
        # A change published through the API (another request than GET) shows at once.
        await publish_event(
            mende, await log_in(mende), name="Fête des voisins",
            start_time="2031-02-03T14:00:00", end_time="2031-02-03T17:00:00",
        )  # fmt: skip
        _, page = await visitor.get("/")
        assert "Fête des voisins" in page


async def test_a_hostile_place_name_stays_data_on_the_wall(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the follow")

    async def backfilled() -> bool:
        # The backfill stores mende's actor as fetched: the hostile name goes in after it.
        state = await florac.fetchval(
            "SELECT state FROM backfill_jobs WHERE followed = $1", mende.place
        )
        return state == "done"

    await wait_until(backfilled, what="the backfill of mende")
    hostile = "</script><script>alert(1)</script>"
    await florac.fetchval(
        "UPDATE remote_actors SET display_name = $2 WHERE uri = $1 RETURNING 1",
        mende.place,
        hostile,
    )
    async with WebClient(florac) as visitor:
        status, page = await visitor.get("/wall")
    assert status == 200
    assert hostile not in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in page  # JSON, escaped for HTML


async def test_categories_read_as_words_in_the_pages_language(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    later = {"start_time": "2031-03-04T18:30:00", "end_time": "2031-03-04T20:00:00"}
    await publish_event(mende, token, category="WORKSHOP", **later)
    async with WebClient(mende) as visitor, WebClient(mende) as admin:
        status, page = await visitor.get("/agenda?lang=fr")
        assert status == 200
        card = page[page.index('class="cards agenda"') :]
        assert "Atelier" in card
        assert "WORKSHOP" not in card
        assert '<option value="WORKSHOP">Atelier</option>' in page  # the filter's choices
        status, page = await visitor.get("/agenda?lang=en&category=workshop")
        assert status == 200
        assert "Workshop" in page[page.index('class="cards agenda"') :]
        assert '<option value="WORKSHOP" selected>Workshop</option>' in page

        await admin.sign_in()
        status, page = await admin.get("/manage/events/new?lang=fr")
        assert status == 200
        assert '<option value="SOCIAL_EVENT">Moment convivial</option>' in page
