"""The trust lists page in a real browser (Chromium through Playwright): the coordinator publishes
its list and adds a domain with the page's forms; another place follows it in review mode from
its dashboard and accepts the proposal; the page passes axe-core in French and English, at phone
and desktop widths."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.browser_support import browser, looked_at, new_context
from tests.network import LoopbackNetwork
from tests.test_web_browser import sign_in, url

__all__ = ["browser"]  # the fixture, used by name

PAGE = "/manage/moderation/trust"


async def test_a_coordinator_publishes_and_a_place_reviews_the_list(
    network: LoopbackNetwork, browser: Browser
) -> None:
    coordinator = await network.add("coordination")
    mende = await network.add("mende")
    await network.start_all()
    coord_page = await (await new_context(browser)).new_page()
    await sign_in(coord_page, coordinator, "admin", "x" * 12)
    await coord_page.click(f"a[href='{PAGE}']")
    await coord_page.wait_for_url(url(coordinator, PAGE))
    await coord_page.check("input[name=published]")
    await coord_page.fill("#f-name", "Réseau de Lozère")
    await coord_page.click("form[action='/manage/moderation/trust/publish'] button")
    await coord_page.wait_for_url(url(coordinator, PAGE))
    await coord_page.fill("#f-domain", "Spam.Example")
    await coord_page.select_option("#f-policy", "suspend")
    await coord_page.fill("#f-public_reason", "Pourriels")
    await coord_page.click("form[action='/manage/moderation/trust/entries'] button")
    await coord_page.wait_for_url(url(coordinator, PAGE))
    main = await coord_page.inner_text("main")
    assert "La liste est modifiée" in main
    assert "spam.example" in main
    assert "version 2" in main

    page = await (await new_context(browser)).new_page()
    await sign_in(page, mende, "admin", "x" * 12)
    await page.click(f"a[href='{PAGE}']")
    await page.wait_for_url(url(mende, PAGE))
    await page.fill("#f-url", f"{coordinator.base}/trust-list")
    await page.check("input[name=mode][value=review]")
    await page.click("form[action='/manage/moderation/trust/subscribe'] button")
    await page.wait_for_url(url(mende, PAGE))
    main = await page.inner_text("main")
    assert "Réseau de Lozère" in main
    assert "devient suspendu" in main
    await page.click("form[action$='/accept'] button")
    await page.wait_for_url(url(mende, PAGE))
    assert "Le changement est appliqué." in await page.inner_text("main")
    assert await mende.fetchval("SELECT severity FROM domain_policies") == "suspend"


async def test_the_trust_page_passes_axe(network: LoopbackNetwork, browser: Browser) -> None:
    mende = await network.add("mende")
    await network.start_all()
    await mende.fetchval(
        "INSERT INTO trust_subscriptions (url, mode, publisher, name, version, "
        "follow_activity_id, last_error) VALUES ('https://coord.example/trust-list', 'review', "
        "'https://coord.example/actors/application', 'Lozère', 3, 'x', 'the list proof') "
        "RETURNING 1"
    )
    await mende.fetchval(
        "INSERT INTO trust_proposals (list_url, domain, change, severity, public_reason, version) "
        "VALUES ('https://coord.example/trust-list', 'spam.example', 'set', 'suspend', 'spam', 3) "
        "RETURNING 1"
    )
    await mende.fetchval(
        "INSERT INTO trust_list_entries (domain, policy, public_reason) "
        "VALUES ('bruyant.example', 'limit', 'bruit') RETURNING 1"
    )
    for phone in (False, True):
        for language in ("fr", "en"):
            context = await new_context(browser, phone=phone, language=language)
            page = await context.new_page()
            await sign_in(page, mende, "admin", "x" * 12)
            width = "phone" if phone else "desktop"
            await page.goto(url(mende, f"{PAGE}?lang={language}"))
            await looked_at(page, f"moderation-trust-{language}-{width}")
            await context.close()
