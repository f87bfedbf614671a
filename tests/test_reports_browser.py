"""Reports and blocks in a real browser: a member reports a neighbour's event from the agenda,
sending it on; the moderators of both nodes see it in their queue and resolve it. Every page
visited is checked by axe-core."""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.async_api import Browser

from tests.browser_support import browser, looked_at, new_context
from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_blocks_reports_network import two_places
from tests.test_events_network import member, publish_event
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

    # Blocking what answers nowhere: the form again, the address kept, the error beside it.
    nobody = f"personne@{florac.settings.domain}"
    await page.fill("#f-block-target", nobody)
    await page.click("form[action='/me/blocks'] button")
    assert await page.input_value("#f-block-target") == nobody
    assert await page.get_attribute("#f-block-target", "aria-invalid") == "true"
    assert await page.inner_text("#e-block-target") == (
        "Aucun acteur d'un autre nœud ne répond à cette adresse."
    )
    assert await mende.fetchval("SELECT count(*) FROM actor_blocks") == 0
    await looked_at(page, "report-block-error-fr")

    # Reporting what this node does not hold: the same, the comment kept too.
    await page.fill("#f-target", "https://nulle-part.example/events/1")
    await page.fill("#f-comment", "Annonce trompeuse")
    await page.click("form[action='/report'] button")
    assert await page.inner_text("#e-target") == "Rien de connu ici à cette adresse."
    assert await page.input_value("#f-comment") == "Annonce trompeuse"
    assert await mende.fetchval("SELECT count(*) FROM reports") == 0
    await page.goto(url(mende, "/report?" + urlencode({"target": repair})))
    assert await page.input_value("#f-target") == repair
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
    await admin.click("a[href$='state=resolved']")
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


async def test_the_queue_in_pages_with_names(network: LoopbackNetwork, browser: Browser) -> None:
    node = await network.add("mende")
    await network.start_all()
    token = await log_in(node)
    events = [(await publish_event(node, token, name=f"Atelier {n}"))["ap_id"] for n in range(23)]
    for event in events:
        status, body = await call(
            node, "POST", "/api/v1/reports", token=token, body={"target": event, "comment": "x"}
        )
        assert status == 201, body
    page = await (await new_context(browser)).new_page()
    await sign_in(page, node, "admin", "x" * 12)
    await page.goto(url(node, "/manage/moderation/reports"))

    async def shown() -> list[str]:
        return await page.locator("ul.reports > li small a").all_inner_texts()

    first = await shown()
    assert first == [f"Atelier {n}" for n in range(22, 2, -1)]  # names, newest first
    assert not await page.is_visible("a[rel='prev']")
    await looked_at(page, "moderation-reports-paged-fr")
    await page.click("a[rel='next']:has-text('Signalements plus anciens')")
    assert await shown() == ["Atelier 2", "Atelier 1", "Atelier 0"]
    assert not await page.is_visible("a[rel='next']")
    await page.click("a[rel='prev']:has-text('Signalements plus récents')")
    assert await shown() == first
    assert "/events/" not in await page.inner_text("ul.reports")  # titles, not ids

    # The place's block form: an unknown address is marked beside its field, the reason kept.
    await page.fill("#f-target", "personne@nulle-part.invalid")
    await page.fill("#f-reason", "spam")
    await page.click("form[action='/manage/moderation/blocks'] button")
    assert await page.inner_text("#e-target") == (
        "Aucun acteur d'un autre nœud ne répond à cette adresse."
    )
    assert await page.input_value("#f-reason") == "spam"
