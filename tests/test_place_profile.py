"""The place profile: edited through the API, published on the Group actor, copied by neighbours."""

from __future__ import annotations

import json
from typing import Any

from server.processing.place_profile import PlaceActorHandlers
from server.storage.inbox import ReceivedActivity
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_federation_network import accepted, follow

PROFILE: dict[str, Any] = {
    "name": "La Fabrique de Florac",
    "description": "Un tiers-lieu au pied du causse.\n\nCoworking, fablab & café.",
    "address": {
        "street_address": "2 place du Souvenir",
        "postal_code": "48400",
        "locality": "Florac",
        "country": "France",
    },
    "latitude": 44.3241,
    "longitude": 3.5934,
    "timezone": "Europe/Paris",
    "opening_hours": [
        {"days": ["Monday", "Tuesday", "Thursday"], "opens": "09:00", "closes": "18:00"},
        {"days": ["Friday"], "opens": "09:00", "closes": "13:00"},
    ],
    "opening_exceptions": [
        {"starts": "2026-12-24", "ends": "2027-01-02", "reason": "Fêtes"},
        {"starts": "2026-07-14", "opens": "10:00", "closes": "16:00", "reason": "Portes ouvertes"},
    ],
    "services": ["fibre", "visio-room", "3d-printer", "childcare-nearby"],
    "other_services": ["Four à pain"],
    "space_kinds": ["coworking", "fablab"],
    "other_space_kinds": ["Café associatif"],
    "accessibility": ["Accès fauteuil roulant"],
    "prices": [{"name": "Journée", "price": "12", "currency": "EUR", "unit": "jour"}],
    "labels": ["Fabrique de territoire"],
    "links": [{"name": "Site", "url": "https://fabrique-florac.example/"}],
    "images": ["https://fabrique-florac.example/facade.jpg"],
}


async def remote_place(node: NetworkNode, actor: str) -> dict[str, Any] | None:
    raw = await node.fetchval(
        "SELECT to_jsonb(p)::text FROM remote_place_profiles p WHERE actor_uri = $1", actor
    )
    return None if raw is None else dict(json.loads(raw))


async def outbox_count(node: NetworkNode) -> int:
    count: int = await node.fetchval("SELECT count(*) FROM outbox_activities")
    return count


async def test_an_edited_profile_reaches_the_neighbours_copy(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(mende, florac)
    await wait_until(lambda: accepted(florac, mende.place, florac.place), what="the follow")
    token = await log_in(florac)

    status, body = await call(florac, "PUT", "/api/v1/place", token=token, body=PROFILE)
    assert status == 200, body
    status, shown = await call(florac, "GET", "/api/v1/place")
    assert status == 200
    assert shown["name"] == "La Fabrique de Florac"
    assert shown["opening_hours"][0]["opens"] == "09:00:00"

    # What florac serves: the Group with its location and details in our terms.
    group = await florac.get_json("/actors/place")
    assert group["type"] == "Group"
    assert group["name"] == "La Fabrique de Florac"
    place = group["location"]
    assert place["type"] == "Place"
    assert isinstance(place["latitude"], float)
    assert place["address"]["type"] == "PostalAddress"
    assert place["address"]["addressLocality"] == "Florac"
    assert group["timezone"] == "Europe/Paris"
    assert group["openingHours"][0]["dayOfWeek"] == ["Monday", "Tuesday", "Thursday"]
    assert group["openingHoursException"][0]["validThrough"] == "2027-01-02"
    assert "opens" not in group["openingHoursException"][0]  # closed that day
    assert group["services"] == [*PROFILE["services"], "Four à pain"]
    assert group["spaceKinds"] == ["coworking", "fablab", "Café associatif"]
    assert group["attachment"][0]["type"] == "PropertyValue"
    assert "&amp;" in group["summary"]  # the description, as escaped HTML

    # Mende's copy, from the Update it received.
    async def copied() -> dict[str, Any] | None:
        found = await remote_place(mende, florac.place)
        return found if found and found["name"] == "La Fabrique de Florac" else None

    copy = await wait_until(copied, what="florac's profile on mende")
    assert copy["latitude"] == 44.3241
    assert copy["longitude"] == 3.5934
    assert copy["address_locality"] == "Florac"
    assert copy["timezone"] == "Europe/Paris"
    assert copy["opening_hours"][1] == {
        "type": "OpeningHoursSpecification",
        "dayOfWeek": ["Friday"],
        "opens": "09:00:00",
        "closes": "13:00:00",
    }
    assert copy["opening_hours_exception"][1]["description"] == "Portes ouvertes"
    assert "3d-printer" in copy["services"]
    assert "Four à pain" in copy["services"]
    assert copy["space_kinds"] == ["coworking", "fablab", "Café associatif"]
    assert copy["prices"][0]["priceCurrency"] == "EUR"
    assert copy["labels"] == ["Fabrique de territoire"]
    assert (
        await mende.fetchval("SELECT display_name FROM remote_actors WHERE uri = $1", florac.place)
        == "La Fabrique de Florac"
    )

    # A PATCH changes the opening hours and moves the place; mende follows.
    status, body = await call(
        florac,
        "PATCH",
        "/api/v1/place",
        token=token,
        body={
            "opening_hours": [{"days": ["Sa"], "opens": "10:00", "closes": "12:30"}],
            "latitude": 44.33,
            "longitude": 3.6,
        },
    )
    assert status == 200, body
    assert body["services"] == PROFILE["services"]  # untouched fields stay

    async def moved() -> dict[str, Any] | None:
        found = await remote_place(mende, florac.place)
        return found if found and found["latitude"] == 44.33 else None

    copy = await wait_until(moved, what="the patched profile on mende")
    assert copy["longitude"] == 3.6
    assert copy["opening_hours"] == [
        {
            "type": "OpeningHoursSpecification",
            "dayOfWeek": ["Saturday"],
            "opens": "10:00:00",
            "closes": "12:30:00",
        }
    ]


async def test_invalid_profiles_are_refused_and_change_nothing(network: LoopbackNetwork) -> None:
    florac = await network.add("florac")
    await network.start_all()
    token = await log_in(florac)
    status, _ = await call(florac, "PUT", "/api/v1/place", token=token, body=PROFILE)
    assert status == 200
    before_profile = (await call(florac, "GET", "/api/v1/place"))[1]
    before_outbox = await outbox_count(florac)

    bad_puts: list[tuple[dict[str, Any], str]] = [
        ({"timezone": "Europe/Mende"}, "timezone"),
        ({"latitude": 95.0}, "latitude"),
        ({"longitude": None}, "body"),  # a latitude without its longitude
        ({"opening_hours": [{"days": ["Monday"], "opens": "18:00", "closes": "09:00"}]},
         "opening_hours.0"),
        ({"opening_hours": [{"days": ["Someday"], "opens": "09:00", "closes": "18:00"}]},
         "opening_hours.0.days.0"),
        ({"opening_exceptions": [{"starts": "2026-05-02", "ends": "2026-05-01"}]},
         "opening_exceptions.0"),
        ({"services": ["teleportation"]}, "services.0"),
        ({"images": ["javascript:alert(1)"]}, "images.0"),
        ({"name": ""}, "name"),
        ({"surprise": 1}, "surprise"),
    ]  # fmt: skip
    for change, field in bad_puts:
        status, body = await call(
            florac, "PUT", "/api/v1/place", token=token, body={**PROFILE, **change}
        )
        assert status == 422, (change, body)
        assert any(key.startswith(field) for key in body["fields"]), (change, body)
    for patch in ({"timezone": "Mars/Olympus"}, {"latitude": None}, {"prices": [{"name": "x"}]}):
        status, body = await call(florac, "PATCH", "/api/v1/place", token=token, body=patch)
        assert status == 422, (patch, body)

    status, _ = await call(florac, "PUT", "/api/v1/place", body=PROFILE)
    assert status == 401
    assert (await call(florac, "GET", "/api/v1/place"))[1] == before_profile
    assert await outbox_count(florac) == before_outbox


async def test_an_actor_cannot_update_another_actors_profile(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    document = await florac.get_json("/actors/place")
    impostor = ReceivedActivity(
        id=0,
        activity_id=f"{florac.base}/activities/forged",
        activity_type="Update",
        actor_uri=f"{florac.base}/actors/someone",
        recipient=None,
        payload={"type": "Update", "object": document},
        attempts=0,
    )
    services = mende.services
    async with services.pool.acquire() as connection, connection.transaction():
        await PlaceActorHandlers().updated(connection, services.node, impostor, document)
    assert await remote_place(mende, florac.place) is None
    assert (
        await mende.fetchval("SELECT count(*) FROM remote_actors WHERE uri = $1", florac.place) == 0
    )
