"""The pages in a real browser (Chromium through Playwright), as a person uses them: invited,
choosing a password, signing in; switching the language; publishing an event a neighbour's agenda
shows; a form with errors; a form whose CSRF token was tampered with. Every page visited is
checked by axe-core (no serious or critical violation) at phone and desktop widths, in French and
English, and saved as a screenshot when MAILLAGE_SCREENSHOTS names a folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, Page

from tests.browser_support import axe_violations, browser, looked_at, new_context
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import log_in
from tests.test_events_network import member, publish_event
from tests.test_federation_network import accepted, follow

__all__ = ["browser"]  # the fixture, used by name


def url(node: NetworkNode, path: str) -> str:
    return f"http://127.0.0.1:{node.port}{path}"


async def sign_in(page: Page, node: NetworkNode, username: str, password: str) -> None:
    await page.goto(url(node, "/login"))
    await page.fill("#f-username", username)
    await page.fill("#f-password", password)
    await page.click("main button")
    await page.wait_for_url(url(node, "/manage"))


async def test_invited_sets_a_password_then_signs_in(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    admin = await (await new_context(browser)).new_page()
    await sign_in(admin, mende, "admin", "x" * 12)
    await admin.goto(url(mende, "/manage/members"))
    await admin.fill("#f-username", "nadia")
    await admin.fill("#f-email", "nadia@example.org")
    await admin.select_option("#f-role", "animateur")
    await admin.click("form[action='/manage/members'] button")
    link = await admin.input_value("#invitation-link")
    path = link[link.index("/invitations/") :]

    nadia = await (await new_context(browser, language="en")).new_page()
    await nadia.goto(url(mende, path))
    await nadia.fill("#f-password", "a good long password")
    await nadia.click("main form button")
    await nadia.wait_for_url(url(mende, "/manage"))
    assert "Welcome" in await nadia.inner_text("main")
    await nadia.click("header button")  # sign out
    await nadia.wait_for_url(url(mende, "/"))
    await sign_in(nadia, mende, "nadia", "a good long password")
    assert await nadia.is_visible("a[href='/manage/events']")  # an animateur's dashboard
    assert not await nadia.is_visible("a[href='/manage/members']")


async def test_the_language_switch_sticks(network: LoopbackNetwork, browser: Browser) -> None:
    mende = await network.add("mende")
    await network.start_all()
    page = await (await new_context(browser)).new_page()
    await page.goto(url(mende, "/agenda"))
    assert await page.inner_text("h1") == "Agenda du réseau"
    await page.click("text=English")
    assert await page.inner_text("h1") == "Network agenda"
    await page.click("header >> text=Places")
    assert await page.inner_text("h1") == "Places of the network"
    assert await page.get_attribute("html", "lang") == "en"


async def test_an_event_from_the_form_shows_on_a_neighbours_agenda(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the follow")
    page = await (await new_context(browser)).new_page()
    await sign_in(page, mende, "admin", "x" * 12)
    await page.goto(url(mende, "/manage/events/new"))
    await page.fill("#f-name", "Atelier soudure")
    await page.fill("#f-start_time", "2031-03-04T18:30")
    await page.fill("#f-maximum_attendee_capacity", "0")
    await page.click("main form button")
    # The form comes back with the error beside the field and the values kept.
    assert await page.get_attribute("#f-maximum_attendee_capacity", "aria-invalid") == "true"
    assert await page.is_visible("#e-maximum_attendee_capacity")
    assert await page.input_value("#f-name") == "Atelier soudure"
    await page.fill("#f-maximum_attendee_capacity", "8")
    await page.click("main form button")
    await page.wait_for_url(url(mende, "/manage/events"))
    assert "mardi 4 mars 2031, 18 h 30" in await page.inner_text("main")

    neighbour = await (await new_context(browser, language="en")).new_page()

    async def listed() -> bool:
        await neighbour.goto(url(florac, "/agenda?from=2031-01-01T00:00:00Z"))
        return "Atelier soudure" in await neighbour.inner_text("main")

    await wait_until(listed, what="the event on florac's agenda page")


async def test_a_tampered_form_is_refused(network: LoopbackNetwork, browser: Browser) -> None:
    mende = await network.add("mende")
    await network.start_all()
    page = await (await new_context(browser)).new_page()
    await sign_in(page, mende, "admin", "x" * 12)
    await page.goto(url(mende, "/manage/members"))
    await page.fill("#f-username", "eve")
    await page.fill("#f-email", "eve@example.org")
    invite = "form[action='/manage/members']"
    await page.eval_on_selector(f"{invite} input[name=csrf]", "input => input.value = 'forged'")
    await page.click(f"{invite} button")
    assert "expiré" in await page.inner_text("main")
    await page.goto(url(mende, "/manage/members"))
    assert "eve@example.org" not in await page.inner_text("main")


PUBLIC_PAGES = ("/", "/agenda", "/places", "/people", "/login", "/wall", "/embed/agenda")
SIGNED_IN_PAGES = (
    "/manage", "/manage/events", "/manage/events/new", "/manage/place", "/manage/neighbours",
    "/manage/members", "/manage/calls", "/manage/calls/new", "/me/profile", "/me/rsvps",
    "/account",
)  # fmt: skip


async def test_every_page_passes_axe_in_both_languages_at_both_widths(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    for phone in (False, True):
        for language in ("fr", "en"):
            context = await new_context(browser, phone=phone, language=language)
            page = await context.new_page()
            width = "phone" if phone else "desktop"
            for path in PUBLIC_PAGES:
                await page.goto(url(mende, f"{path}?lang={language}"))
                await looked_at(page, f"{path.strip('/') or 'home'}-{language}-{width}")
            await sign_in(page, mende, "admin", "x" * 12)
            for path in SIGNED_IN_PAGES:
                await page.goto(url(mende, path))
                assert await page.get_attribute("html", "lang") == language
                await looked_at(page, f"{path.strip('/').replace('/', '-')}-{language}-{width}")
            await context.close()


async def test_the_accessibility_check_sees_violations(browser: Browser) -> None:
    """axe-core really runs: a page with an image without text and a nameless field fails."""
    page = await (await new_context(browser)).new_page()
    await page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    found = {violation["id"] for violation in await axe_violations(page)}
    assert {"image-alt", "label"} <= found


async def test_the_hours_typed_in_the_editor_open_the_public_page(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).weekday()
    day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[today]
    page = await (await new_context(browser)).new_page()
    await sign_in(page, mende, "admin", "x" * 12)
    await page.goto(url(mende, "/manage/place"))
    await page.fill("#f-name", "La Fabrique de Mende")
    await page.fill(
        "#f-description",
        "Un tiers-lieu au cœur de la Lozère : coworking, atelier de fabrication, café.",
    )
    await page.fill("#f-street_address", "2 rue de l'Ange")
    await page.fill("#f-postal_code", "48000")
    await page.fill("#f-locality", "Mende")
    await page.fill("#f-country", "France")
    await page.fill("#f-latitude", "44.5181")
    await page.fill("#f-longitude", "3.5012")
    await page.fill("#f-timezone", "Europe/Paris")
    for name in ("fibre", "desks", "meeting-room", "workshop"):
        await page.check(f"input[name=service-{name}]")
    await page.check("input[name=kind-fablab]")
    await page.check("input[name=kind-coworking]")
    await page.click("main form > button")
    await page.wait_for_url(url(mende, "/manage/place"))

    visitor = await (await new_context(browser)).new_page()
    await visitor.goto(url(mende, "/"))
    assert "Ouvert maintenant" not in await visitor.inner_text("main")

    await page.fill(f"input[name=opens-{day}]", "00:00")
    await page.fill(f"input[name=closes-{day}]", "23:59")
    await page.click("main form > button")
    await page.wait_for_url(url(mende, "/manage/place"))
    await page.goto(url(mende, "/manage/events/new"))
    await page.fill("#f-name", "Atelier réparation de vélos")
    await page.fill("#f-start_time", "2031-06-21T18:30")
    await page.fill("#f-maximum_attendee_capacity", "12")
    await page.click("main form > button")
    await page.wait_for_url(url(mende, "/manage/events"))

    await visitor.goto(url(mende, "/"))
    assert "Ouvert maintenant" in await visitor.inner_text("main")
    assert "Atelier réparation de vélos" in await visitor.inner_text("main")
    await looked_at(visitor, "place-page-fr-desktop")


async def test_a_member_of_another_node_joins_from_the_event_page(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    created = await publish_event(mende, await log_in(mende), name="Repair café")
    await member(florac, await log_in(florac), "paul")
    page = await (await new_context(browser)).new_page()
    await page.goto(created["ap_id"].replace(mende.base, url(mende, "")))
    await looked_at(page, "event-fr-desktop")
    await page.fill("#f-handle", "nobody@nowhere.invalid")
    await page.click("section.join form button")
    assert await page.is_visible("#e-handle")  # the error beside the field
    await page.fill("#f-handle", f"paul@{florac.settings.domain}")
    await page.click("section.join form button")
    # Sent to paul's own server, which asks him to sign in, then to confirm.
    await page.wait_for_url("**/login?next=**")
    await page.fill("#f-username", "paul")
    await page.fill("#f-password", "y" * 12)
    await page.click("main form button")
    await page.wait_for_url("**/interact?uri=**")
    await looked_at(page, "interact-fr-desktop")
    await page.click("main form button")
    await page.wait_for_url("**/interact?uri=**")
    assert "participation est demandée" in await page.inner_text("main")

    async def counted() -> int | None:
        count: int | None = await mende.fetchval(
            "SELECT participant_count FROM events WHERE ap_id = $1", created["ap_id"]
        )
        return count or None

    assert await wait_until(counted, what="paul's Join counted on mende") == 1


async def test_a_shared_then_withdrawn_profile_leaves_the_neighbours_people_page(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the follow")
    await member(mende, await log_in(mende), "nadia", shared=False)
    page = await (await new_context(browser)).new_page()
    await sign_in(page, mende, "nadia", "y" * 12)
    await page.goto(url(mende, "/me/profile"))
    await page.fill("#f-name", "Nadia Benali")
    await page.fill("#f-skills", "soudure\nimpression 3D")
    await page.click("main form[action='/me/profile'] button")
    await page.wait_for_url(url(mende, "/me/profile"))
    preview = await page.inner_text("pre.preview")
    assert '"name": "Nadia Benali"' in preview  # exactly what a neighbour would receive
    assert '"soudure"' in preview
    await page.check("input[name=visibility][value=network]")
    await page.click("main form[action='/me/profile/visibility'] button")
    await page.wait_for_url(url(mende, "/me/profile"))
    await looked_at(page, "profile-fr-desktop")

    neighbour = await (await new_context(browser)).new_page()

    async def listed(present: bool) -> bool:
        await neighbour.goto(url(florac, "/people?skill=soudure"))
        return ("Nadia Benali" in await neighbour.inner_text("main")) == present

    await wait_until(lambda: listed(True), what="nadia on florac's people page")
    await looked_at(neighbour, "people-fr-desktop")
    await page.check("input[name=visibility][value=members]")
    await page.click("main form[action='/me/profile/visibility'] button")
    await page.wait_for_url(url(mende, "/me/profile"))
    await wait_until(lambda: listed(False), what="nadia gone from florac's people page")

    async with page.expect_download() as download_info:
        await page.click("a[href='/me/data.json']")
    download = await download_info.value
    data = json.loads(Path(await download.path()).read_text(encoding="utf-8"))
    assert data["account"][0]["username"] == "nadia"
    assert data["profile"][0]["name"] == "Nadia Benali"
    assert "password_hash" not in json.dumps(data)


async def test_the_wall_opens_on_recent_life_and_names_places(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the follow")
    await publish_event(mende, await log_in(mende), name="Repair café")

    async def arrived() -> int | None:
        count: int | None = await florac.fetchval(
            "SELECT count(*) FROM stream_events WHERE data->>'name' = 'Repair café'"
        )
        return count or None

    await wait_until(arrived, what="the event in florac's stream")
    page = await (await new_context(browser)).new_page()
    await page.goto(url(florac, "/wall"))  # opened after the event: it must show it anyway
    card = page.locator("article", has_text="Repair café")
    await card.wait_for()
    assert await card.locator(".where").inner_text() == "Mende"  # the place, not its host
    await looked_at(page, "wall-recent-fr-desktop")
