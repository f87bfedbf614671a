"""The directory of places across real nodes: known, followed and suggested places, searched.

Mende follows Florac and Villefort; Villefort follows Cévennes, which Mende does not: Cévennes is
a suggestion on Mende.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import aiohttp

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import run_maillage_async, wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_federation_network import accepted, follow
from tests.test_place_profile import PROFILE, remote_place

FLORAC = PROFILE  # 44.3241, 3.5934; Mon, Tue, Thu 09-18, Fri 09-13; fibre, visio-room, fablab
# Our own name is shown as typed, so the page must escape it.
MENDE: dict[str, Any] = {
    "name": "Tiers-lieu <i>de</i> Mende",
    "latitude": 44.5181,
    "longitude": 3.5006,
}
VILLEFORT: dict[str, Any] = {
    "name": "La Gare de Villefort",
    "latitude": 44.4406,
    "longitude": 3.9317,
    "timezone": "Europe/Paris",
    "opening_hours": [{"days": ["Saturday", "Sunday"], "opens": "10:00", "closes": "17:00"}],
    "services": ["fibre", "kitchen"],
    "space_kinds": ["coworking"],
}
CEVENNES: dict[str, Any] = {
    "name": "Cévennes Lab & Co",
    "description": "Un living lab à Alès",
    "address": {"locality": "Alès", "country": "France"},
    "latitude": 44.1250,
    "longitude": 4.0810,
    "timezone": "Europe/Paris",
    "opening_hours": [{"days": ["Monday"], "opens": "08:00", "closes": "20:00"}],
    "space_kinds": ["living-lab"],
}
MONDAY_MORNING = quote("2026-06-01T09:30:00+02:00")


async def set_profile(node: NetworkNode, profile: dict[str, Any]) -> None:
    status, body = await call(node, "PUT", "/api/v1/place", token=await log_in(node), body=profile)
    assert status == 200, body


async def places(node: NetworkNode, query: str = "") -> list[dict[str, Any]]:
    status, body = await call(node, "GET", f"/api/v1/places?{query}")
    assert status == 200, body
    return list(body)


def names(found: list[dict[str, Any]]) -> list[str | None]:
    return [place["name"] for place in found]


async def follows_accepted(follower: NetworkNode, followed: NetworkNode) -> None:
    await follow(follower, followed)
    await wait_until(lambda: accepted(followed, follower.place, followed.place), what="the follow")


async def lozere(network: LoopbackNetwork) -> tuple[NetworkNode, ...]:
    nodes = [await network.add(name) for name in ("mende", "florac", "villefort", "cevennes")]
    await network.start_all()
    mende, florac, villefort, cevennes = nodes
    for node, profile in zip(nodes, (MENDE, FLORAC, VILLEFORT, CEVENNES), strict=True):
        await set_profile(node, profile)
    await follows_accepted(villefort, cevennes)
    await follows_accepted(mende, florac)
    await follows_accepted(mende, villefort)
    return mende, florac, villefort, cevennes


async def test_the_directory_lists_searches_and_suggests(network: LoopbackNetwork) -> None:
    mende, florac, villefort, cevennes = await lozere(network)

    # A followed place's details are kept once the follow is accepted (its backfill reads it).
    copied = await wait_until(
        lambda: remote_place(mende, florac.place), what="florac's details on mende"
    )
    assert copied["name"] == "La Fabrique de Florac"
    assert copied["latitude"] == 44.3241

    # Cévennes is followed by Villefort: once the follow's backfill read Villefort's `following`,
    # it is a suggestion on Mende, with its details fetched.
    async def suggestion() -> dict[str, Any] | None:
        found = [place for place in await places(mende) if place["id"] == cevennes.place]
        # Its actor row (with its name) is stored a moment before its place details.
        return found[0] if found and found[0]["locality"] else None

    suggested = await wait_until(suggestion, what="cevennes suggested on mende")
    assert suggested["suggested"] is True
    assert suggested["relation"] == "suggested"
    assert suggested["suggested_by"] == [villefort.place]
    assert suggested["name"] == "Cévennes Lab & Co"
    assert suggested["locality"] == "Alès"

    everything = await places(mende)
    by_id = {place["id"]: place for place in everything}
    assert by_id[mende.place]["relation"] == "self"
    assert by_id[florac.place]["relation"] == "following"
    assert by_id[villefort.place]["relation"] == "following"
    assert by_id[florac.place]["suggested"] is False
    assert everything[0]["id"] == mende.place  # our own place first
    assert cevennes.place not in {p["id"] for p in await places(mende, "suggestions=false")}

    # Near Mende: within 30 km, Mende (0) then Florac (~23 km); Villefort is ~35 km away.
    near = await places(mende, "lat=44.5181&lon=3.5006&km=30")
    assert names(near) == [MENDE["name"], "La Fabrique de Florac"]
    assert near[0]["distance_km"] == 0.0
    assert 20 < near[1]["distance_km"] < 26
    wider = await places(mende, "lat=44.5181&lon=3.5006&km=100")
    assert [p["id"] for p in wider] == [mende.place, florac.place, villefort.place, cevennes.place]

    # Open on Monday 1 June 2026 at 09:30 in Paris: Florac (09-18) and Cévennes (08-20); not
    # Villefort (weekends) nor Mende (no hours given: unknown, so not listed as open).
    monday = await places(mende, f"open_at={MONDAY_MORNING}")
    assert {p["id"] for p in monday} == {florac.place, cevennes.place}
    assert all(p["open_now"] is True for p in monday)
    # The same moment written in another offset is the same moment.
    same = await places(mende, "open_at=" + quote("2026-06-01T07:30:00Z"))
    assert {p["id"] for p in same} == {florac.place, cevennes.place}
    # 14 July (a Tuesday) Florac opens 10:00-16:00 only.
    holiday = await places(mende, "open_at=" + quote("2026-07-14T09:30:00+02:00"))
    assert florac.place not in {p["id"] for p in holiday}
    assert by_id[mende.place]["open_now"] is None
    await places(mende, "open_now=true")  # evaluated against the clock: accepted

    # Services (all of them), kinds of space, free text; combined with distance.
    assert names(await places(mende, "services=fibre,visio-room")) == ["La Fabrique de Florac"]
    assert names(await places(mende, "services=fibre&services=kitchen")) == ["La Gare de Villefort"]
    assert {p["id"] for p in await places(mende, "services=FIBRE")} == {
        florac.place,
        villefort.place,
    }
    assert names(await places(mende, "kinds=fablab")) == ["La Fabrique de Florac"]
    assert names(await places(mende, "kinds=living-lab")) == ["Cévennes Lab & Co"]
    assert names(await places(mende, "q=causse")) == ["La Fabrique de Florac"]
    assert names(await places(mende, "q=al%C3%A8s")) == ["Cévennes Lab & Co"]
    assert await places(mende, "services=fibre&lat=44.5181&lon=3.5006&km=30") == [
        p for p in near if p["id"] == florac.place
    ]

    # GeoJSON: Points in [longitude, latitude] order.
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{mende.port}/api/v1/places.geojson") as response,
    ):
        assert response.status == 200
        assert response.content_type == "application/geo+json"
        collection = await response.json(content_type=None)
    assert collection["type"] == "FeatureCollection"
    features = {feature["id"]: feature for feature in collection["features"]}
    assert set(features) == {mende.place, florac.place, villefort.place, cevennes.place}
    feature = features[florac.place]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [3.5934, 44.3241]}
    assert feature["properties"]["name"] == "La Fabrique de Florac"
    assert feature["properties"]["url"] == florac.place
    assert "visio-room" in feature["properties"]["services"]
    assert feature["properties"]["kinds"] == ["coworking", "fablab", "Café associatif"]
    assert feature["properties"]["suggested"] is False
    assert features[cevennes.place]["properties"]["suggested"] is True
    assert "openNow" in feature["properties"]
    status, filtered = await call(mende, "GET", "/api/v1/places.geojson?kinds=fablab")
    assert status == 200
    assert [f["id"] for f in filtered["features"]] == [florac.place]

    # The page, in both languages, escapes what places send.
    for lang, title in (("fr", "Lieux du réseau"), ("en", "Places of the network")):
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{mende.port}/places?lang={lang}") as response,
        ):
            assert response.status == 200
            html = await response.text()
        assert title in html
        assert "Cévennes Lab &amp; Co" in html
        assert "Tiers-lieu &lt;i&gt;de&lt;/i&gt; Mende" in html
        assert "<i>" not in html
        assert "La Fabrique de Florac" in html
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{mende.port}/places?kinds=fablab",
            headers={"Accept-Language": "en-GB,en;q=0.8"},
        ) as response,
    ):
        html = await response.text()
    assert "Places of the network" in html
    assert "La Fabrique de Florac" in html
    assert "La Gare de Villefort" not in html


async def test_bad_directory_queries_are_refused(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    for query, field in (
        ("lat=44.5", "query"),  # lat without lon
        ("km=10", "query"),  # km without a point
        ("lat=91&lon=3", "lat"),
        ("lat=44&lon=3&km=-1", "km"),
        ("open_at=2026-06-01T09:30:00", "query"),  # no offset
        ("open_at=tomorrow", "open_at"),
        ("open_now=true&open_at=" + quote("2026-06-01T09:30:00+02:00"), "query"),
        ("limit=1000", "limit"),
        ("colour=blue", "colour"),
        ("q=a&q=b", "q"),
    ):
        for path in ("/api/v1/places", "/api/v1/places.geojson"):
            status, body = await call(mende, "GET", f"{path}?{query}")
            assert status == 422, (query, body)
            assert field in body["fields"], (query, body)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{mende.port}/places?lat=x") as response,
    ):
        assert response.status == 422


async def test_the_commands_list_places_and_people(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    await set_profile(mende, {**MENDE, "services": ["fibre"]})
    node = f"http://127.0.0.1:{mende.port}"
    env = {"MAILLAGE_CONFIG_DIR": str(network.tmp_path / "cli")}
    result = await run_maillage_async(
        "places", "--node", node, "--service", "fibre", "--json", env=env
    )
    assert result.returncode == 0, result.stderr
    assert [place["id"] for place in json.loads(result.stdout)] == [mende.place]
    table = await run_maillage_async("places", "--node", node, "--near", "44.5,3.5", env=env)
    assert table.returncode == 0, table.stderr
    assert "Tiers-lieu <i>de</i> Mende" in table.stdout
    assert "KM" in table.stdout
    assert "2.013" in table.stdout  # km from the point
    refused = await run_maillage_async("places", "--node", node, "--km", "5", env=env)
    assert refused.returncode != 0
    assert refused.stderr.startswith("error:")
    nobody = await run_maillage_async(
        "people", "--node", node, "--skill", "soudure", "--json", env=env
    )
    assert nobody.returncode == 0, nobody.stderr
    assert json.loads(nobody.stdout) == []
