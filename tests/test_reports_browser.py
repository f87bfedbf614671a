"""Reports and blocks in a real browser: a member reports a neighbour's event from the agenda,
sending it on; the moderators of both nodes see it in their queue and resolve it. Every page
visited is checked by axe-core."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.browser_support import browser, looked_at, new_context
from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_blocks_reports_network import two_places
from tests.test_events_network import member
from tests.test_web_browser import sign_in, url

__all__ = ["browser"]  # the fixture, used by name


async def test_a_member_reports_from_the_agenda_and_moderators_resolve(
    network: LoopbackNetwork, browser: Browser
) -> None:
    mende, florac, tokens, repair = await two_places(network)
    await member(mende, tokens["mende"], "camille")
    page = await (await new_context(browser)).new_page()
    await sign_in(page, mende, "camille", "y" * 12)
    await page.goto(url(mende, "/agenda?from=2026-01-01T00:00:00Z"))
    await page.click("a.report")
    await looked_at(page, "report-fr")
    assert await page.is_visible("form[action='/me/blocks'] button")  # a remote organiser
    await page.fill("#f-comment", "Annonce trompeuse")
    await page.check("input[name='forward']")
    await page.click("form[action='/report'] button")
    await page.wait_for_url(url(mende, "/manage"))
    assert "modérateurs" in await page.inner_text("main")
    assert not await page.is_visible("a[href='/manage/moderation/reports']")  # not hers to see

    admin = await (await new_context(browser, language="en")).new_page()
    await sign_in(admin, florac, "admin", "x" * 12)

    async def listed() -> bool:
        await admin.goto(url(florac, "/manage/moderation/reports"))
        return "Annonce trompeuse" in await admin.inner_text("main")

    await wait_until(listed, what="the report on florac's queue page")
    await looked_at(admin, "moderation-reports-en")
    text = await admin.inner_text("main")
    assert "from the server mende.test" in text
    assert "camille" not in text
    await admin.select_option("select[name='resolution']", "no_action")
    await admin.fill("input[name='reason']", "checked with the organiser")
    await admin.click("form[action$='/resolve'] button")
    await admin.wait_for_url(url(florac, "/manage/moderation/reports"))
    assert "No report waits." in await admin.inner_text("main")
    assert "Resolved by admin" in await admin.inner_text("main")
    assert await florac.fetchval("SELECT reason FROM moderation_log") == (
        "checked with the organiser"
    )

    # On Mende, the place's moderator removes the event here.
    await sign_in(page, mende, "admin", "x" * 12)
    await page.click("a[href='/manage/moderation/reports']")
    await page.select_option("select[name='resolution']", "remove_content")
    await page.click("form[action$='/resolve'] button")
    await page.wait_for_url(url(mende, "/manage/moderation/reports"))
    assert await mende.fetchval("SELECT count(*) FROM events WHERE ap_id = $1", repair) == 0
