"""What waits for an animateur, answered in a real browser (Chromium through Playwright): follows
of a place that approves its followers manually, and Joins of an event that joins on approval.
The answers travel between real nodes on loopback; a refusal from processing ("the event is
full") shows in French on a French page. Every page is checked by axe-core and saved as a
screenshot when MAILLAGE_SCREENSHOTS names a folder."""

from __future__ import annotations

from playwright.async_api import Browser, Page

from tests.browser_support import browser, looked_at, new_context
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_delivery_pauses_network import florac_paused
from tests.test_events_network import COMING, answered, member, publish_event
from tests.test_federation_network import follow, follow_state, received
from tests.test_web_browser import sign_in, url

__all__ = ["browser"]  # the fixture, used by name


async def test_a_place_that_approves_followers_accepts_one_and_refuses_another(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    lozere = await network.add("lozere")
    await network.start_all()
    for phone in (False, True):
        page = await (await new_context(browser, phone=phone)).new_page()
        await sign_in(page, mende, "admin", "x" * 12)
        await page.goto(url(mende, "/manage/place"))
        await looked_at(page, f"place-editor-{'phone' if phone else 'desktop'}")
    await page.check("input[name=manually_approves_followers]")
    await page.click("form[action='/manage/place'] button")
    await page.wait_for_url(url(mende, "/manage/place"))
    actor = await mende.fetchval(
        "SELECT manually_approves_followers FROM local_actors WHERE name = 'place'"
    )
    assert actor is True

    await follow(florac, mende)
    await follow(lozere, mende)

    async def waiting() -> bool:
        count = await mende.fetchval(
            "SELECT count(*) FROM follows WHERE followed = $1 AND state = 'pending'", mende.place
        )
        return bool(count == 2)

    await wait_until(waiting, what="two follows waiting on mende")
    assert await follow_state(florac, florac.place, mende.place) == "pending"

    desktop = await (await new_context(browser)).new_page()
    await sign_in(desktop, mende, "admin", "x" * 12)
    assert "2 lieux demandent à nous suivre" in await desktop.inner_text("main")
    await looked_at(desktop, "dashboard-follow-requests-desktop")
    await page.goto(url(mende, "/manage"))
    await looked_at(page, "dashboard-follow-requests-phone")
    florac_item = desktop.locator(".answers li", has=desktop.locator(f"a[href='{florac.place}']"))
    await florac_item.get_by_role("button", name="Accepter").click()
    await desktop.wait_for_url(url(mende, "/manage"))
    assert "Accepté" in await desktop.inner_text("main [role=status]")
    await wait_until(
        lambda: follow_state_is(florac, florac.place, mende.place, "accepted"),
        what="florac's follow accepted on florac",
    )

    await desktop.goto(url(mende, "/manage/neighbours"))
    await looked_at(desktop, "neighbours-follow-request")
    lozere_item = desktop.locator(
        ".neighbours > li", has=desktop.locator(f"a[href='{lozere.place}']")
    )
    await lozere_item.get_by_role("button", name="Refuser").click()
    await desktop.wait_for_url(url(mende, "/manage/neighbours"))
    assert "Refusé" in await desktop.inner_text("main [role=status]")
    await wait_until(
        lambda: follow_state_is(lozere, lozere.place, mende.place, "rejected"),
        what="lozere's follow refused on lozere",
    )
    assert await follow_state(mende, lozere.place, mende.place) is None
    assert await follow_state(mende, florac.place, mende.place) == "accepted"


async def follow_state_is(node: NetworkNode, follower: str, followed: str, state: str) -> bool:
    return await follow_state(node, follower, followed) == state


async def test_participants_of_an_event_on_approval_are_accepted_refused_and_told_it_is_full(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    token = await log_in(mende)
    event = await publish_event(
        mende, token, **COMING, join_mode="restricted", maximum_attendee_capacity=1
    )
    florac_admin = await log_in(florac)
    joiners = {name: await member(florac, florac_admin, name) for name in ("ana", "bruno")}
    for member_token in joiners.values():
        status, body = await call(
            florac, "POST", "/api/v1/events/rsvp", token=member_token,
            body={"event": event["ap_id"]},
        )  # fmt: skip
        assert (status, body["state"]) == (202, "pending"), body

    async def waiting() -> bool:
        count = await mende.fetchval(
            "SELECT count(*) FROM event_participants WHERE state = 'pending'"
        )
        return bool(count == 2)

    await wait_until(waiting, what="two Joins waiting on mende")
    page = await (await new_context(browser)).new_page()
    await sign_in(page, mende, "admin", "x" * 12)
    assert "Demande à participer" in await page.inner_text("main")
    await page.goto(url(mende, f"/manage/events/{event['id']}"))
    assert "2 personnes demandent à participer" in await page.inner_text("main")
    await looked_at(page, "event-participants-waiting")
    phone = await (await new_context(browser, phone=True, language="en")).new_page()
    await sign_in(phone, mende, "admin", "x" * 12)
    await phone.goto(url(mende, f"/manage/events/{event['id']}?lang=en"))
    assert "2 people ask to take part" in await phone.inner_text("main")
    await looked_at(phone, "event-participants-waiting-phone-en")
    ana, bruno = (f"{florac.base}/actors/{name}" for name in ("ana", "bruno"))
    await answer(page, ana, "Accepter")
    await page.wait_for_url(url(mende, f"/manage/events/{event['id']}#participants"))
    await wait_until(
        lambda: state_is(florac, "ana", event["ap_id"], "accepted"), what="ana accepted on florac"
    )
    # The only seat is taken: accepting bruno is refused, in French, and changes nothing.
    await answer(page, bruno, "Accepter")
    await page.wait_for_url(url(mende, f"/manage/events/{event['id']}#participants"))
    assert "L'événement est complet." in await page.inner_text("main [role=alert]")
    await looked_at(page, "event-participants-full")
    assert await answered(florac, "bruno", event["ap_id"]) is None
    await answer(page, bruno, "Refuser")
    await page.wait_for_url(url(mende, f"/manage/events/{event['id']}#participants"))
    await wait_until(
        lambda: state_is(florac, "bruno", event["ap_id"], "rejected"),
        what="bruno refused on florac",
    )
    assert await page.locator('form[action$="/participants/accept"]').count() == 0  # none waits
    status, listed = await call(
        mende, "GET", f"/api/v1/events/{event['id']}/participants", token=token
    )
    assert status == 200
    assert [(p["participant"], p["state"]) for p in listed] == [(ana, "accepted")]


async def state_is(node: NetworkNode, name: str, event: str, state: str) -> bool:
    return await answered(node, name, event) == state


async def answer(page: Page, participant: str, button: str) -> None:
    """Click Accept or Refuse beside the participant the list links to."""
    item = page.locator(".answers li", has=page.locator(f"a[href='{participant}']"))
    await item.get_by_role("button", name=button).click()


async def test_the_editors_set_every_field_the_api_takes(
    network: LoopbackNetwork, browser: Browser
) -> None:
    """The place's accessibility, prices, labels and photos with their descriptions; an event's
    place with its address and coordinates, and its links with their descriptions: typed in the
    editors, stored as the API holds them, and shown again in the form."""
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    page = await (await new_context(browser)).new_page()
    await sign_in(page, mende, "admin", "x" * 12)
    await page.goto(url(mende, "/manage/place"))
    await page.fill("#f-accessibility", "Entrée de plain-pied\nToilettes accessibles")
    await page.fill("#f-prices", "Poste à la journée | 15 | eur | par jour\nAtelier | prix libre")
    await page.fill("#f-labels", "Fabrique de territoire, France Services")
    await page.fill("#f-images", "not an address")
    await page.click("form[action='/manage/place'] button")
    assert await page.get_attribute("#f-images", "aria-invalid") == "true"
    assert await page.input_value("#f-labels") == "Fabrique de territoire, France Services"
    await page.fill(
        "#f-images",
        "La façade en pierre | https://mende.example/facade.jpg\nhttps://mende.example/b.jpg",
    )
    await page.click("form[action='/manage/place'] button")
    await page.wait_for_url(url(mende, "/manage/place"))
    await looked_at(page, "place-editor-details")
    status, profile = await call(mende, "GET", "/api/v1/place", token=token)
    assert status == 200
    assert profile["accessibility"] == ["Entrée de plain-pied", "Toilettes accessibles"]
    assert profile["prices"] == [
        {"name": "Poste à la journée", "price": "15", "currency": "EUR", "unit": "par jour"},
        {"name": "Atelier", "price": "prix libre", "currency": None, "unit": None},
    ]
    assert profile["labels"] == ["Fabrique de territoire", "France Services"]
    assert profile["images"] == [
        {"url": "https://mende.example/facade.jpg", "description": "La façade en pierre"},
        {"url": "https://mende.example/b.jpg", "description": None},
    ]
    assert await page.input_value("#f-prices") == (
        "Poste à la journée | 15 | EUR | par jour\nAtelier | prix libre"
    )

    await page.goto(url(mende, "/manage/events/new"))
    await page.fill("#f-name", "Atelier vélo")
    await page.fill("#f-start_time", "2031-05-06T14:00")
    await page.fill("#f-place_locality", "Badaroux")  # an address without the place's name
    await page.click("main form button")
    assert await page.get_attribute("#f-place", "aria-invalid") == "true"
    await page.fill("#f-place", "La halle")
    await page.fill("#f-place_street", "1 place du Foirail")
    await page.fill("#f-place_postal_code", "48000")
    await page.fill("#f-place_latitude", "44.53")
    await page.fill("#f-place_longitude", "3.54")
    await page.fill("#f-attachments", "Plan d'accès | https://mende.example/plan.pdf")
    await page.click("main form button")
    await page.wait_for_url(url(mende, "/manage/events"))
    status, events = await call(mende, "GET", "/api/v1/events", token=token)
    event = next(e for e in events if e["name"] == "Atelier vélo")
    place = next(loc for loc in event["locations"] if loc["type"] == "Place")
    assert place["name"] == "La halle"
    assert (place["latitude"], place["longitude"]) == (44.53, 3.54)
    assert "1 place du Foirail" in place["address"]
    assert "Badaroux" in place["address"]
    assert event["attachments"] == [
        {"name": "Plan d'accès", "url": "https://mende.example/plan.pdf"}
    ]
    await page.goto(url(mende, f"/manage/events/{event['id']}"))
    assert await page.input_value("#f-place_locality") == "Badaroux"
    assert await page.input_value("#f-attachments") == (
        "Plan d'accès | https://mende.example/plan.pdf"
    )
    await looked_at(page, "event-editor-place")
    await page.goto(url(mende, event["ap_id"].removeprefix(mende.base)))
    link = page.get_by_role("link", name="Plan d'accès")
    assert await link.get_attribute("href") == "https://mende.example/plan.pdf"
    assert "1 place du Foirail" in await page.inner_text("main")
    await looked_at(page, "event-page-links")


async def test_the_dashboard_retries_a_paused_neighbour_from_its_button(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende, florac, host, note = await florac_paused(network)
    for phone in (True, False):
        page = await (await new_context(browser, phone=phone)).new_page()
        await sign_in(page, mende, "admin", "x" * 12)
        await looked_at(page, f"dashboard-paused-{'phone' if phone else 'desktop'}")
    failing = page.locator(".attention li", has_text=host)
    assert "en pause" in (await failing.inner_text()).lower()
    await florac.start()
    await failing.get_by_role("button").click()
    await page.wait_for_url(url(mende, "/manage"))
    assert "repartent maintenant" in await page.inner_text("main [role=status]")
    await wait_until(lambda: received(florac, note), what="the note once retried")
