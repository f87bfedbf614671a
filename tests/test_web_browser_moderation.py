"""The domains page in a real browser (Chromium through Playwright): an administrator suspends a
domain with the form, sees it listed, removes it; the domains and log pages pass axe-core in
French and English, at phone and desktop widths."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.browser_support import browser, looked_at, new_context
from tests.network import LoopbackNetwork
from tests.test_web_browser import sign_in, url

__all__ = ["browser"]  # the fixture, used by name

PAGE = "/manage/moderation/domains"


async def test_an_administrator_suspends_then_lifts_a_domain(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    page = await (await new_context(browser)).new_page()
    await sign_in(page, mende, "admin", "x" * 12)
    await page.click(f"a[href='{PAGE}']")
    await page.wait_for_url(url(mende, PAGE))
    await page.fill("#f-domain", "Spam.Example")
    await page.check("input[name=severity][value=suspend]")
    await page.fill("#f-public_reason", "Pourriels")
    await page.click("form[action='/manage/moderation/domains'] button")
    await page.wait_for_url(url(mende, PAGE))
    main = await page.inner_text("main")
    assert "La décision est appliquée" in main
    assert "spam.example" in main
    assert "suspendu" in main
    assert await mende.fetchval("SELECT severity FROM domain_policies") == "suspend"

    await page.click("text=Retirer la décision sur spam.example")
    await page.wait_for_url(url(mende, PAGE))
    assert "Aucune décision" in await page.inner_text("main")
    await page.click("text=Journal de modération")
    await page.wait_for_url(url(mende, "/manage/moderation/log"))
    log = await page.inner_text("main")
    assert "domain.suspend" in log
    assert "domain.remove" in log


async def test_the_moderation_pages_pass_axe(network: LoopbackNetwork, browser: Browser) -> None:
    mende = await network.add("mende")
    await network.start_all()
    await mende.fetchval(
        "INSERT INTO domain_policies (domain, severity, public_reason) "
        "VALUES ('spam.example', 'suspend', 'Pourriels') RETURNING 1"
    )
    await mende.fetchval(
        "INSERT INTO moderation_log (who, action, target, reason) "
        "VALUES ('admin', 'domain.suspend', 'spam.example', 'Pourriels') RETURNING 1"
    )
    for phone in (False, True):
        for language in ("fr", "en"):
            context = await new_context(browser, phone=phone, language=language)
            page = await context.new_page()
            await sign_in(page, mende, "admin", "x" * 12)
            width = "phone" if phone else "desktop"
            for path in (PAGE, "/manage/moderation/log"):
                await page.goto(url(mende, f"{path}?lang={language}"))
                await looked_at(page, f"{path.strip('/').replace('/', '-')}-{language}-{width}")
            await context.close()
