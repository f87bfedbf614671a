"""The wall (/wall) in a real browser: a headless Chromium on a real node shows events published
after the page loaded, in French by default and in English with ?lang=en, and comes back by itself
after the node restarts; a Join refreshes the seats of the card shown, and a deleted event leaves
the screen.

Drives Debian's `chromium` through Playwright (tests/browser_support.py: skipped without it on a
workstation, a failure in CI). Screenshots of every step are left in the test's tmp_path
(`wall-*.png`) for a human to look at.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.async_api import Browser
from playwright.async_api import Page as BrowserPage

from tests.browser_support import browser, new_context
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import publish_event

__all__ = ["browser"]  # the fixture, used by name


class Page:
    """The few things these tests do with a page."""

    def __init__(self, page: BrowserPage) -> None:
        self.page = page

    async def open(self, url: str) -> None:
        await self.page.goto(url)

    async def evaluate(self, expression: str) -> Any:
        return await self.page.evaluate(expression)

    async def screenshot(self, path: Path) -> None:
        await self.page.screenshot(path=str(path))


@contextlib.asynccontextmanager
async def chromium(browser: Browser) -> AsyncIterator[Page]:
    # The browser's own language is English: the wall must still open in French.
    context = await new_context(browser, language="en")
    try:
        yield Page(await context.new_page())
    finally:
        await context.close()


# What the page shows, read from the DOM in one round trip.
STATE = r"""JSON.stringify({
  lang: document.documentElement.lang,
  heading: document.getElementById("heading").textContent,
  status: document.getElementById("status").textContent,
  empty: getComputedStyle(document.getElementById("empty")).display !== "none",
  emptyTitle: document.getElementById("empty-title").textContent,
  cards: [...document.querySelectorAll("#wall article")].map((card) => ({
    kind: card.className,
    label: card.querySelector(".kind span").textContent,
    where: card.querySelector(".kind .where").textContent,
    title: card.querySelector(".title").textContent,
    // ICU puts narrow or non-breaking spaces in dates ("6:00\u202fPM"): read them as spaces.
    meta: card.querySelector(".meta").textContent.replace(/\s+/g, " "),
    seats: card.querySelector(".seats")?.textContent ?? null,
  })),
})"""


# No finite animation still running (the offline dot blinks for ever).
SETTLED = """document.getAnimations().every((animation) =>
  animation.playState !== "running" || animation.effect.getTiming().iterations === Infinity)"""


async def state(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(await page.evaluate(STATE))
    return found


async def status_is(page: Page, wanted: str) -> dict[str, Any] | None:
    now = await state(page)
    return now if now["status"] == wanted else None


async def card_titled(page: Page, title: str) -> dict[str, Any] | None:
    return next((card for card in (await state(page))["cards"] if card["title"] == title), None)


async def shows_published_event(
    page: Page, node: NetworkNode, token: str, title: str, shots: Path, name: str
) -> dict[str, Any]:
    await publish_event(node, token, name=title)
    card = await wait_until(lambda: card_titled(page, title), within=20, what=f"{title!r}")
    await wait_until(lambda: page.evaluate(SETTLED), what="the new card's animation to end")
    await page.screenshot(shots / f"wall-{name}.png")
    return card


@contextlib.asynccontextmanager
async def standing_in_502(port: int) -> AsyncIterator[list[web.Request]]:
    """What a reverse proxy says while the node behind it restarts; records what was asked."""
    asked: list[web.Request] = []

    async def bad_gateway(request: web.Request) -> web.Response:
        asked.append(request)
        return web.Response(status=502, text="Bad Gateway")

    app = web.Application()
    app.router.add_get("/{tail:.*}", bad_gateway)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_address=True).start()
    try:
        yield asked
    finally:
        await runner.cleanup()


async def answered_with_last_id(asked: list[web.Request]) -> bool:
    """A request after the first 502, from the page's own code: resumes with last_event_id."""
    return any(request.query.get("last_event_id") for request in asked[1:])


async def test_the_wall_shows_live_events_in_french_then_english_and_reconnects(
    network: LoopbackNetwork, tmp_path: Path, browser: Browser
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    wall = f"http://127.0.0.1:{mende.port}/wall"

    async with chromium(browser) as page:
        # French by default, whatever the browser's own language (English here).
        await page.open(wall)
        before = await wait_until(lambda: status_is(page, "en direct"), what="the wall live")
        assert (before["lang"], before["heading"]) == ("fr", "La vie du réseau")
        assert before["empty"]
        assert before["emptyTitle"] == "En attente des nouvelles du réseau"
        assert before["cards"] == []
        await page.screenshot(tmp_path / "wall-fr-empty.png")

        card = await shows_published_event(
            page, mende, token, "Atelier soudure", tmp_path, "fr-event"
        )
        assert card["kind"].split() == ["event", "fresh"]
        assert (card["label"], card["where"]) == ("Nouvel événement", "Ici")
        # 18:00 in Paris, in the event's zone and not the browser's (UTC here), formatted by
        # Babel as on every page; a year only when not this one.
        assert card["meta"] == "mardi 1 décembre, 18 h 00 — Le Fablab de Mende", card
        assert not (await state(page))["empty"]

        # The node goes away and a proxy answers 502 in its place: EventSource gives up after an
        # answer that is not a stream, so the page itself must open a new one, asking for what it
        # missed. Then the node is back and the wall goes on by itself.
        await mende.stop()
        async with standing_in_502(mende.port) as asked:
            await wait_until(lambda: status_is(page, "reconnexion…"), what="the wall to notice")
            await page.screenshot(tmp_path / "wall-fr-offline.png")
            await wait_until(
                lambda: answered_with_last_id(asked), within=30, what="the page to retry itself"
            )
        await mende.start()
        await wait_until(lambda: status_is(page, "en direct"), within=30, what="the reconnection")
        await shows_published_event(page, mende, token, "Repair café", tmp_path, "fr-after")
        titles = [card["title"] for card in (await state(page))["cards"]]
        assert titles == ["Repair café", "Atelier soudure"], "each event once, newest first"

        await page.open(f"{wall}?lang=en")
        english = await wait_until(lambda: status_is(page, "live"), what="the English wall live")
        assert (english["lang"], english["heading"]) == ("en", "Life of the network")
        # A wall opens on the network's recent life, not empty.

        async def replayed() -> dict[str, Any] | None:
            now = await state(page)
            titles = [card["title"] for card in now["cards"]]
            return now if titles == ["Repair café", "Atelier soudure"] else None

        assert not (await wait_until(replayed, what="the recent events on a new wall"))["empty"]
        card = await shows_published_event(
            page, mende, token, "Soldering workshop", tmp_path, "en-event"
        )
        assert (card["label"], card["where"]) == ("New event", "Here")
        assert card["meta"] == "Tuesday 1 December, 6:00 PM — Le Fablab de Mende", card


async def seats_shown(page: Page, title: str, wanted: str) -> dict[str, Any] | None:
    card = await card_titled(page, title)
    return card if card is not None and card["seats"] == wanted else None


async def test_the_wall_refreshes_seats_in_place_and_takes_down_a_deleted_event(
    network: LoopbackNetwork, tmp_path: Path, browser: Browser
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)

    async with chromium(browser) as page:
        await page.open(f"http://127.0.0.1:{mende.port}/wall")
        await wait_until(lambda: status_is(page, "en direct"), what="the wall live")
        created = await publish_event(mende, token, name="Atelier soudure")
        await wait_until(
            lambda: seats_shown(page, "Atelier soudure", "5 places restantes"),
            within=20,
            what="the card with its five seats",
        )

        # A Join sends an Update that only moves the counts: the card says so, nothing is added.
        status, _ = await call(
            mende, "POST", "/api/v1/events/rsvp", token=token, body={"event": created["ap_id"]}
        )
        assert status == 202
        await wait_until(
            lambda: seats_shown(page, "Atelier soudure", "4 places restantes"),
            within=20,
            what="the seats refreshed in place",
        )
        await page.screenshot(tmp_path / "wall-fr-seats.png")
        assert [card["title"] for card in (await state(page))["cards"]] == ["Atelier soudure"]

        # Deleted: the card goes, and the wall says again what it waits for.
        status, _ = await call(mende, "DELETE", f"/api/v1/events/{created['id']}", token=token)
        assert status == 204

        async def emptied() -> dict[str, Any] | None:
            now = await state(page)
            return now if now["cards"] == [] and now["empty"] else None

        await wait_until(emptied, within=20, what="the deleted event off the wall")
        await page.screenshot(tmp_path / "wall-fr-deleted.png")


async def test_a_live_card_shows_its_date_as_the_pages_do_in_the_walls_language(
    network: LoopbackNetwork, tmp_path: Path, browser: Browser
) -> None:
    """The date on a card is the server's (Babel, on the event's clock), not the browser's: an
    English browser on UTC shows a French wall's event at 18 h 30 in Paris, as the agenda does."""
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    async with chromium(browser) as page:
        await page.open(f"http://127.0.0.1:{mende.port}/wall")
        await wait_until(lambda: status_is(page, "en direct"), what="the wall live")
        await publish_event(
            mende, token, name="Soirée jeux",
            start_time="2031-03-04T18:30:00", end_time="2031-03-04T22:00:00",
        )  # fmt: skip
        card = await wait_until(lambda: card_titled(page, "Soirée jeux"), what="the card")
        await page.screenshot(tmp_path / "wall-fr-date.png")
        await page.open(f"http://127.0.0.1:{mende.port}/agenda?from=2031-01-01T00:00:00Z&lang=fr")
        agenda = await page.page.inner_text("main")
    assert card["meta"] == "mardi 4 mars 2031, 18 h 30 — Le Fablab de Mende", card
    assert "mardi 4 mars 2031, 18 h 30" in agenda
