"""The consolidated agenda across real nodes: florac follows mende and villefort, and its agenda
lists its own events and both neighbours' in start order, filtered, paged and de-duplicated."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.processing.activities import process_activity
from server.storage.inbox import ReceivedActivity
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import run_maillage_async, wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import publish_event
from tests.test_federation_network import accepted, follow

NOW = datetime.now(UTC).replace(microsecond=0)


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def place(name: str, latitude: float, longitude: float) -> dict[str, Any]:
    return {"name": name, "latitude": latitude, "longitude": longitude}


async def agenda(node: NetworkNode, query: str = "") -> list[dict[str, Any]]:
    status, body = await call(node, "GET", f"/api/v1/agenda{query}")
    assert status == 200, body
    items: list[dict[str, Any]] = body["items"]
    return items


async def three_places(network: LoopbackNetwork) -> dict[str, Any]:
    mende = await network.add("mende")
    florac = await network.add("florac")
    villefort = await network.add("villefort")
    await network.start_all()
    for neighbour in (mende, villefort):
        await follow(florac, neighbour)
        await wait_until(
            lambda n=neighbour: accepted(florac, florac.place, n.place), what="the Accept"
        )
    tokens = {node.name: await log_in(node) for node in (mende, florac, villefort)}
    common = {"end_time": None, "maximum_attendee_capacity": None, "attachments": []}
    made = {
        "soudure": await publish_event(
            mende,
            tokens["mende"],
            **common,
            name="Atelier soudure",
            start_time=at(50),
            tags=["fablab", "soudure"],
            category="WORKSHOP",
            place=place("Fablab de Mende", 44.518, 3.500),
        ),
        "marche": await publish_event(
            villefort,
            tokens["villefort"],
            **common,
            name="Marché paysan",
            start_time=at(26),
            content="<p>Producteurs du Mont Lozère</p>",
            tags=["marche"],
            category="MARKET",
            place=place("Halle de Villefort", 44.440, 3.932),
        ),
        "visio": await publish_event(
            florac,
            tokens["florac"],
            **common,
            name="Visio réseau",
            start_time=at(74),
            tags=["reseau"],
            category="MEETING",
            place=place("Florac", 44.324, 3.593),
        ),
        "maintenant": await publish_event(
            mende,
            tokens["mende"],
            **(common | {"end_time": at(1)}),
            name="Café numérique",
            start_time=at(-1),
            tags=["numerique"],
            category="MEETUP",
            place=place("Café de Mende", 44.518, 3.500),
        ),
        "passe": await publish_event(
            florac,
            tokens["florac"],
            **common,
            name="Ancien atelier",
            start_time=at(-48),
            tags=["reseau"],
        ),
    }
    return {"mende": mende, "florac": florac, "villefort": villefort, "made": made,
            "tokens": tokens}  # fmt: skip


async def all_arrived(florac: NetworkNode, count: int) -> list[dict[str, Any]] | None:
    items = await agenda(florac)
    return items if len(items) == count else None


async def test_the_agenda_of_florac_lists_its_events_and_its_neighbours_in_start_order(
    network: LoopbackNetwork,
) -> None:
    nodes = await three_places(network)
    mende, florac, villefort = nodes["mende"], nodes["florac"], nodes["villefort"]
    items = await wait_until(lambda: all_arrived(florac, 4), what="the neighbours' events")
    # Running now first, then by start; the past event is not in the default agenda.
    assert [item["name"] for item in items] == [
        "Café numérique", "Marché paysan", "Atelier soudure", "Visio réseau",
    ]  # fmt: skip
    by_name = {item["name"]: item for item in items}
    assert by_name["Atelier soudure"]["attributed_to"] == mende.place
    assert by_name["Marché paysan"]["attributed_to"] == villefort.place
    assert by_name["Visio réseau"]["local"] is True
    # Each event names its place (remote: the Group's name) and links to its origin.
    assert by_name["Atelier soudure"]["place_name"]
    assert by_name["Atelier soudure"]["place_name"] != by_name["Marché paysan"]["place_name"]
    assert by_name["Visio réseau"]["place_name"]
    assert by_name["Atelier soudure"]["origin"] == nodes["made"]["soudure"]["ap_id"]
    assert by_name["Atelier soudure"]["origin"].startswith(mende.base)

    # Filters, alone and together.
    assert [i["name"] for i in await agenda(florac, "?tag=fablab")] == ["Atelier soudure"]
    assert [i["name"] for i in await agenda(florac, "?category=market")] == ["Marché paysan"]
    assert [i["name"] for i in await agenda(florac, "?q=lozère")] == ["Marché paysan"]
    assert [i["name"] for i in await agenda(florac, "?q=soudure&tag=soudure")] == [
        "Atelier soudure"
    ]
    assert [i["name"] for i in await agenda(florac, f"?place={villefort.place}")] == [
        "Marché paysan"
    ]
    assert await agenda(florac, "?tag=fablab,marche") == []
    # From a later date; up to a date; the past.
    later = await agenda(florac, "?from=" + at(30).replace("+00:00", "Z"))
    assert [i["name"] for i in later] == ["Atelier soudure", "Visio réseau"]
    until = await agenda(florac, "?to=" + at(30).replace("+00:00", "Z"))
    assert [i["name"] for i in until] == ["Café numérique", "Marché paysan"]
    past = await agenda(florac, "?from=" + at(-72).replace("+00:00", "Z") + "&limit=1")
    assert [i["name"] for i in past] == ["Ancien atelier"]


async def test_distance_now_paging_cancellation_and_dedupe(network: LoopbackNetwork) -> None:
    nodes = await three_places(network)
    mende, florac = nodes["mende"], nodes["florac"]
    await wait_until(lambda: all_arrived(florac, 4), what="the neighbours' events")

    # Within 20 km of Mende: the two events of Mende, with their distance.
    near = await agenda(florac, "?latitude=44.52&longitude=3.5&km=20")
    assert [i["name"] for i in near] == ["Café numérique", "Atelier soudure"]
    assert all(0 <= i["distance_km"] < 1 for i in near)
    # Florac is ~22 km from Mende: in at 30 km, out at 20; Villefort (~35 km) in at 40 km.
    wider = await agenda(florac, "?latitude=44.518&longitude=3.5&km=40")
    assert {i["name"] for i in wider} == {
        "Café numérique", "Atelier soudure", "Visio réseau", "Marché paysan",
    }  # fmt: skip
    assert [i["name"] for i in await agenda(florac, "?latitude=44.518&longitude=3.5&km=30")] == [
        "Café numérique", "Atelier soudure", "Visio réseau",
    ]  # fmt: skip

    assert [i["name"] for i in await agenda(florac, "?now=true")] == ["Café numérique"]
    # Running now near a point (answered through the cell index, not the range index): the
    # answer agrees with the one without a point.
    near_now = "?now=true&latitude=44.52&longitude=3.5&km=20"
    assert [i["name"] for i in await agenda(florac, near_now)] == ["Café numérique"]
    assert await agenda(florac, "?now=true&latitude=44.32&longitude=3.59&km=5") == []

    # Pages of two, by cursor.
    status, first = await call(florac, "GET", "/api/v1/agenda?limit=2")
    assert status == 200
    assert [i["name"] for i in first["items"]] == ["Café numérique", "Marché paysan"]
    status, second = await call(
        florac, "GET", f"/api/v1/agenda?limit=2&cursor={first['next_cursor']}"
    )
    assert [i["name"] for i in second["items"]] == ["Atelier soudure", "Visio réseau"]
    assert second["next_cursor"] is None

    # Cancelled at the origin: still listed, marked as such.
    soudure = nodes["made"]["soudure"]
    status, _ = await call(
        mende, "POST", f"/api/v1/events/{soudure['id']}/cancel", token=nodes["tokens"]["mende"]
    )
    assert status == 200

    async def cancelled() -> dict[str, Any] | None:
        found = [i for i in await agenda(florac, "?tag=fablab") if i["cancelled"]]
        return found[0] if found else None

    assert (await wait_until(cancelled, what="the cancellation"))["status"] == "CANCELLED"

    # The same event announced again (as mende's Announce would bring it) stays one row.
    document = await mende.get_json(soudure["ap_id"].removeprefix(mende.base))
    announce = ReceivedActivity(
        id=1,
        activity_id=f"{mende.place}/announce/1",
        activity_type="Announce",
        actor_uri=mende.place,
        recipient=None,
        payload={"type": "Announce", "actor": mende.place, "object": document},
        attempts=1,
    )
    async with florac.pool.acquire() as connection, connection.transaction():
        await process_activity(connection, florac.services.node, announce)
    items = await agenda(florac)
    assert [i["name"] for i in items].count("Atelier soudure") == 1
    assert len(items) == 4


@pytest.mark.parametrize(
    "query",
    [
        "?from=yesterday",
        "?km=5",
        "?latitude=91&longitude=0&km=5",
        "?limit=0",
        "?limit=1000",
        "?cursor=abc",
        "?now=perhaps",
        "?unknown=1",
        "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "?q=a&q=b",
    ],
)
async def test_bad_agenda_queries_get_422(network: LoopbackNetwork, query: str) -> None:
    node = await network.add("mende")
    await network.start_all()
    status, body = await call(node, "GET", f"/api/v1/agenda{query}")
    assert status == 422, body
    assert body["fields"]


async def test_the_agenda_from_the_command_line(network: LoopbackNetwork, tmp_path: Path) -> None:
    nodes = await three_places(network)
    florac = nodes["florac"]
    await wait_until(lambda: all_arrived(florac, 4), what="the neighbours' events")
    env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "config"), "MAILLAGE_PASSWORD": "x" * 12}
    url = f"http://127.0.0.1:{florac.port}"
    login = await run_maillage_async("login", "--node", url, "--username", "admin", env=env)
    assert login.returncode == 0, login.stderr

    table = await run_maillage_async("agenda", "--limit", "3", env=env)
    assert table.returncode == 0, table.stderr
    assert "Café numérique" in table.stdout
    assert "Visio réseau" not in table.stdout
    assert "More: --cursor " in table.stdout

    near = await run_maillage_async(
        "agenda", "--near", "44.518,3.5", "--km", "20", "--tag", "fablab", "--json", env=env
    )
    assert near.returncode == 0, near.stderr
    page = json.loads(near.stdout)
    assert [item["name"] for item in page["items"]] == ["Atelier soudure"]
    assert page["items"][0]["distance_km"] < 1

    bad = await run_maillage_async("agenda", "--km", "20", env=env)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: 422")
