"""iCalendar and Atom feeds of the agenda and of open calls, parsed back with icalendar and
xml.etree: fields, time zones and filters."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import aiohttp
from icalendar import Calendar

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_agenda import all_arrived, three_places
from tests.test_api_neighbours import call
from tests.test_open_calls import CALL

ATOM = "{http://www.w3.org/2005/Atom}"


async def fetch(node: NetworkNode, path: str) -> tuple[int, str, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{node.port}{path}") as response,
    ):
        return response.status, response.content_type, await response.read()


async def ics(node: NetworkNode, path: str) -> Calendar:
    status, kind, body = await fetch(node, path)
    assert status == 200, body
    assert kind == "text/calendar"
    return Calendar.from_ical(body)


def summaries(calendar: Calendar) -> list[str]:
    return [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]


async def test_the_agenda_as_icalendar_with_time_zones_and_filters(
    network: LoopbackNetwork,
) -> None:
    nodes = await three_places(network)
    florac, mende = nodes["florac"], nodes["mende"]
    await wait_until(lambda: all_arrived(florac, 4), what="the neighbours' events")

    whole = await ics(florac, "/agenda.ics")
    assert whole["VERSION"] == "2.0"
    assert whole["METHOD"] == "PUBLISH"
    assert summaries(whole) == [
        "Café numérique", "Marché paysan", "Atelier soudure", "Visio réseau",
    ]  # fmt: skip
    zones = [str(zone["TZID"]) for zone in whole.walk("VTIMEZONE")]
    assert zones == ["Europe/Paris"]
    soudure = next(e for e in whole.walk("VEVENT") if str(e["SUMMARY"]) == "Atelier soudure")
    made = nodes["made"]["soudure"]
    start = soudure.decoded("DTSTART")
    assert str(start.tzinfo) == "Europe/Paris"
    assert start == datetime.fromisoformat(made["start_time"])
    assert soudure["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(soudure["UID"]) == made["ap_id"]
    assert str(soudure["URL"]) == made["ap_id"]
    assert str(soudure["STATUS"]) == "CONFIRMED"
    assert "Fablab de Mende" in str(soudure["LOCATION"])
    assert soudure["GEO"].latitude == 44.518
    assert {str(c) for c in soudure["CATEGORIES"].cats} == {"WORKSHOP", "fablab", "soudure"}

    assert summaries(await ics(florac, "/agenda.ics?tag=marche")) == ["Marché paysan"]
    near = await ics(florac, "/agenda.ics?latitude=44.518&longitude=3.5&km=10")
    assert summaries(near) == ["Café numérique", "Atelier soudure"]
    assert summaries(await ics(florac, "/agenda.ics?now=true")) == ["Café numérique"]
    status, _, _ = await fetch(florac, "/agenda.ics?km=3")
    assert status == 422

    # One event: ours at /events/{token}.ics, any one at /api/v1/agenda/{id}.ics.
    visio = nodes["made"]["visio"]
    token = visio["ap_id"].rsplit("/", 1)[1]
    single = await ics(florac, f"/events/{token}.ics")
    assert summaries(single) == ["Visio réseau"]
    assert [str(z["TZID"]) for z in single.walk("VTIMEZONE")] == ["Europe/Paris"]
    listed = await call(florac, "GET", "/api/v1/agenda?tag=fablab")
    remote_id = listed[1]["items"][0]["id"]
    assert summaries(await ics(florac, f"/api/v1/agenda/{remote_id}.ics")) == ["Atelier soudure"]
    assert (await fetch(florac, "/events/nope.ics"))[0] == 404
    assert (await fetch(florac, "/api/v1/agenda/999999.ics"))[0] == 404
    # The HTML page of the event still answers at its token.
    assert (await fetch(mende, f"/events/{made['ap_id'].rsplit('/', 1)[1]}"))[0] == 200


def entries(body: bytes) -> list[ET.Element]:
    root = ET.fromstring(body)  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    return root.findall(f"{ATOM}entry")


def titles(items: list[ET.Element]) -> list[str]:
    return [item.findtext(f"{ATOM}title") or "" for item in items]


async def test_atom_feeds_of_events_and_open_calls(network: LoopbackNetwork) -> None:
    nodes = await three_places(network)
    florac, mende = nodes["florac"], nodes["mende"]
    await wait_until(lambda: all_arrived(florac, 4), what="the neighbours' events")

    status, kind, body = await fetch(florac, "/agenda.atom")
    assert (status, kind) == (200, "application/atom+xml")
    found = entries(body)
    assert [t.split(") ", 1)[1] for t in titles(found)] == [
        "Café numérique", "Marché paysan", "Atelier soudure", "Visio réseau",
    ]  # fmt: skip
    assert all("(Europe/Paris) " in title for title in titles(found)), titles(found)
    soudure = found[2]
    made = nodes["made"]["soudure"]
    assert soudure.findtext(f"{ATOM}id") == made["ap_id"]
    link = soudure.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == made["ap_id"]
    assert soudure.findtext(f"{ATOM}author/{ATOM}uri") == mende.place
    terms = {c.get("term") for c in soudure.findall(f"{ATOM}category")}
    assert terms == {"WORKSHOP", "fablab", "soudure"}

    status, _, body = await fetch(florac, "/agenda.atom?q=lozère")
    assert [t.split(") ", 1)[1] for t in titles(entries(body))] == ["Marché paysan"]

    status, created = await call(
        mende, "POST", "/api/v1/calls", token=nodes["tokens"]["mende"], body=CALL
    )
    assert status == 201, created

    async def call_feed() -> list[ET.Element] | None:
        status, _, body = await fetch(florac, "/calls.atom")
        assert status == 200
        found = entries(body)
        return found or None

    calls: list[Any] = await wait_until(call_feed, what="the call in florac's feed")
    assert titles(calls) == [CALL["title"]]
    assert calls[0].findtext(f"{ATOM}id") == created["uri"]
    assert {c.get("term") for c in calls[0].findall(f"{ATOM}category")} >= {"skills", "soudure"}


async def test_the_agenda_page_is_bilingual_and_escaped(network: LoopbackNetwork) -> None:
    nodes = await three_places(network)
    florac = nodes["florac"]
    await wait_until(lambda: all_arrived(florac, 4), what="the neighbours' events")
    odd = {"name": "Atelier 1 < 2 & co", "start_time": "2030-01-01T10:00:00"}
    await call(
        florac, "POST", "/api/v1/events", token=nodes["tokens"]["florac"],
        body=odd | {"timezone": "Europe/Paris"},
    )  # fmt: skip
    status, kind, body = await fetch(florac, "/agenda?q=%3Cscript%3E")
    assert (status, kind) == (200, "text/html")
    page = body.decode()
    assert "Agenda du réseau" in page  # French by default
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    status, _, body = await fetch(florac, "/agenda?tag=fablab")
    page = body.decode()
    assert "Atelier soudure" in page
    assert "Marché paysan" not in page
    status, _, body = await fetch(florac, "/agenda?from=2029-12-31T00:00:00Z")
    # Stored as typed, escaped once by the page.
    assert "Atelier 1 &lt; 2 &amp; co" in body.decode()
    assert "1 < 2" not in body.decode()
    status, _, body = await fetch(florac, "/agenda?km=3")
    assert status == 422
    assert "Filtre invalide" in body.decode()
    status, _, body = await fetch(florac, "/agenda?km=3&lang=en")
    assert status == 422
    assert "Invalid filter" in body.decode()
    assert "Network agenda" in body.decode()
