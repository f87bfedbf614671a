"""When our follow of a neighbour ends, what it sent us leaves the agenda and the calls.

Mende follows Florac and Villefort; each of the three publishes an event (Florac also a call and
a second event a Mende member joins). The follow ends by our Undo, by the neighbour's Reject, or
by the neighbour deleting its actor; Mende's own events and the other neighbour's stay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.processing.activities import process_activity
from server.storage.inbox import ReceivedActivity
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import answered, member, publish_event
from tests.test_federation_network import accepted, follow
from tests.test_open_calls import CALL

START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
COMMON: dict[str, Any] = {
    "end_time": None,
    "maximum_attendee_capacity": None,
    "attachments": [],
    "tags": [],
    "category": None,
}


async def names_in_agenda(node: NetworkNode) -> set[str]:
    status, body = await call(node, "GET", "/api/v1/agenda")
    assert status == 200, body
    return {item["name"] for item in body["items"]}


async def call_titles(node: NetworkNode) -> set[str]:
    status, body = await call(node, "GET", "/api/v1/calls")
    assert status == 200, body
    return {item["title"] for item in body}


async def regional_network(network: LoopbackNetwork) -> dict[str, Any]:
    """Mende follows Florac and Villefort; returns the nodes once Mende shows everything."""
    mende = await network.add("mende")
    florac = await network.add("florac")
    villefort = await network.add("villefort")
    await network.start_all()
    for neighbour in (florac, villefort):
        await follow(mende, neighbour)
        await wait_until(
            lambda n=neighbour: accepted(mende, mende.place, n.place), what="the Accept"
        )
    tokens = {node.name: await log_in(node) for node in (mende, florac, villefort)}
    for node, name, hours in (
        (mende, "Café numérique", 1),
        (florac, "Atelier soudure", 2),
        (florac, "Repair café", 3),
        (villefort, "Marché paysan", 4),
    ):
        start = (START + timedelta(hours=hours)).isoformat()
        await publish_event(node, tokens[node.name], **COMMON, name=name, start_time=start)
    status, created = await call(
        florac, "POST", "/api/v1/calls", token=tokens["florac"],
        body=CALL | {"title": "Bénévoles pour la fête"},
    )  # fmt: skip
    assert status == 201, created
    everything = {"Café numérique", "Atelier soudure", "Repair café", "Marché paysan"}

    async def all_arrived() -> bool:
        return await names_in_agenda(mende) == everything

    await wait_until(all_arrived, what="the neighbours' events on mende")
    await wait_until(
        lambda: _has_call(mende, "Bénévoles pour la fête"), what="florac's call on mende"
    )
    return {"mende": mende, "florac": florac, "villefort": villefort, "tokens": tokens}


async def _has_call(node: NetworkNode, title: str) -> bool:
    return title in await call_titles(node)


async def event_id(node: NetworkNode, name: str) -> str:
    found: str = await node.fetchval("SELECT ap_id FROM events WHERE name = $1", name)
    return found


async def test_unfollowing_a_neighbour_drops_its_events_and_calls_once_nobody_follows_it(
    network: LoopbackNetwork,
) -> None:
    nodes = await regional_network(network)
    mende, florac = nodes["mende"], nodes["florac"]
    admin = nodes["tokens"]["mende"]

    # A member of Mende joins one of Florac's events and follows Florac as herself.
    camille = await member(mende, admin, "camille")
    repair = await event_id(mende, "Repair café")
    status, body = await call(
        mende, "POST", "/api/v1/events/rsvp", token=camille, body={"event": repair}
    )
    assert status == 202, body
    assert await wait_until(lambda: answered(mende, "camille", repair), what="the RSVP") == (
        "accepted"
    )
    status, body = await call(
        mende, "POST", "/api/v1/me/follows", token=camille, body={"target": florac.place}
    )
    assert status == 202, body
    camille_actor = f"{mende.base}/actors/camille"
    await wait_until(lambda: accepted(mende, camille_actor, florac.place), what="camille's follow")

    # The place stops following Florac: Camille still does, so nothing leaves. The change is
    # made in the transaction of the unfollow, so it shows as soon as the API answered.
    status, body = await call(
        mende, "DELETE", "/api/v1/neighbours", token=admin, body={"target": florac.place}
    )
    assert status == 200, body
    assert await names_in_agenda(mende) == {
        "Café numérique", "Atelier soudure", "Repair café", "Marché paysan",
    }  # fmt: skip
    assert "Bénévoles pour la fête" in await call_titles(mende)

    # Camille stops following too: Florac's event and call go; the one she joined stays, and so
    # do Mende's own event and Villefort's.
    status, body = await call(
        mende, "DELETE", "/api/v1/me/follows", token=camille, body={"target": florac.place}
    )
    assert status == 200, body

    async def florac_gone() -> bool:
        return "Atelier soudure" not in await names_in_agenda(mende)

    await wait_until(florac_gone, what="florac's event to leave mende's agenda")
    assert await names_in_agenda(mende) == {"Café numérique", "Repair café", "Marché paysan"}
    assert "Bénévoles pour la fête" not in await call_titles(mende)
    assert await mende.fetchval("SELECT count(*) FROM open_calls WHERE NOT local") == 0
    # Florac itself keeps everything it published.
    assert "Atelier soudure" in await names_in_agenda(florac)


async def answer(node: NetworkNode, actor: str, kind: str, target: Any, suffix: str) -> None:
    """Process, on `node`, an activity `actor` sent, as its inbox worker would."""
    payload = {"id": f"{actor}#{suffix}", "type": kind, "actor": actor, "object": target}
    activity = ReceivedActivity(0, payload["id"], kind, actor, None, payload, 0)
    services = node.services
    async with services.pool.acquire() as connection, connection.transaction():
        await process_activity(connection, services.node, activity)


async def test_a_reject_or_a_self_delete_of_the_neighbour_drops_its_imports(
    network: LoopbackNetwork,
) -> None:
    nodes = await regional_network(network)
    mende, florac, villefort = nodes["mende"], nodes["florac"], nodes["villefort"]

    # Florac removes Mende from its followers: a Reject of the Follow it had accepted.
    follow_id = await mende.fetchval(
        "SELECT follow_activity_id FROM follows WHERE follower = $1 AND followed = $2",
        mende.place,
        florac.place,
    )
    await answer(mende, florac.place, "Reject", follow_id, "reject")
    assert await names_in_agenda(mende) == {"Café numérique", "Marché paysan"}
    assert await call_titles(mende) == set()

    # Villefort deletes its actor.
    await answer(mende, villefort.place, "Delete", villefort.place, "delete")
    assert await names_in_agenda(mende) == {"Café numérique"}
    assert (
        await mende.fetchval("SELECT count(*) FROM follows WHERE followed = $1", villefort.place)
        == 0
    )
