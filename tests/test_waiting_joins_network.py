"""Joins waiting for approval are answered when their event stops waiting, between real nodes:
cancelled or deleted, the event refuses them all; switched to open joining, it accepts them in
the order they came while seats remain and refuses the rest. The joiner's server hears a
Reject or an Accept, and its member's RSVP changes."""

from __future__ import annotations

import json
from typing import Any

from server.storage.attention import waiting_participants
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import COMING, answered, member, publish_event
from tests.web_client import WebClient


async def pending_on_mende(
    network: LoopbackNetwork, **changes: Any
) -> tuple[NetworkNode, NetworkNode, str, dict[str, Any]]:
    """mende publishes an event on approval; florac's ana and bea, then mende's own lea, ask to
    take part, and wait."""
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    token = await log_in(mende)
    event = await publish_event(mende, token, **COMING, join_mode="restricted", **changes)
    florac_admin = await log_in(florac)
    for name in ("ana", "bea"):
        joiner = await member(florac, florac_admin, name)
        status, body = await call(
            florac, "POST", "/api/v1/events/rsvp", token=joiner, body={"event": event["ap_id"]}
        )
        assert (status, body["state"]) == (202, "pending"), body
        await wait_until(
            lambda n=name: waits(mende, f"{florac.base}/actors/{n}"), what=f"{name} waiting"
        )
    lea = await member(mende, token, "lea", shared=False)
    status, body = await call(
        mende, "POST", "/api/v1/events/rsvp", token=lea, body={"event": event["ap_id"]}
    )
    assert (status, body["state"]) == (202, "pending"), body
    assert len(await dashboard(mende)) == 3
    return mende, florac, token, event


async def waits(node: NetworkNode, participant: str) -> bool:
    state = await node.fetchval(
        "SELECT state FROM event_participants WHERE participant = $1", participant
    )
    return state == "pending"


async def dashboard(node: NetworkNode) -> list[str]:
    async with node.pool.acquire() as connection:
        return [waiting.participant for waiting in await waiting_participants(connection)]


async def answer_on(node: NetworkNode, name: str, event: str) -> str:
    found: str = await wait_until(
        lambda: answered(node, name, event), what=f"the answer to {name}'s Join"
    )
    return found


async def received_answers(node: NetworkNode, sender: str) -> dict[str, str]:
    """The Accepts and Rejects `node` received from `sender`: whose Join each answers, and how."""
    rows = await node.fetchval(
        "SELECT coalesce(jsonb_object_agg(r.actor_name, i.activity_type), '{}') "
        "FROM inbox_activities i JOIN event_rsvps r "
        "ON r.join_activity_id = i.payload -> 'object' ->> 'id' "
        "WHERE i.actor_uri = $1 AND i.activity_type IN ('Accept', 'Reject')",
        sender,
    )
    return dict(json.loads(rows))


async def test_cancelling_refuses_the_joins_that_wait(network: LoopbackNetwork) -> None:
    mende, florac, token, event = await pending_on_mende(network)
    async with WebClient(florac) as ana:
        await ana.sign_in("ana", "y" * 12)
        status, page = await ana.get("/me/rsvps?lang=en")
        assert (status, "asked, waiting for an answer" in page) == (200, True), page
        status, body = await call(
            mende, "POST", f"/api/v1/events/{event['id']}/cancel", token=token
        )
        assert (status, body["status"]) == (200, "CANCELLED"), body
        assert await answer_on(florac, "ana", event["ap_id"]) == "rejected"
        status, page = await ana.get("/me/rsvps")
        assert "refused" in page
        assert "waiting for an answer" not in page
    assert await answer_on(florac, "bea", event["ap_id"]) == "rejected"
    assert await answered(mende, "lea", event["ap_id"]) == "rejected"
    assert await received_answers(florac, mende.place) == {"ana": "Reject", "bea": "Reject"}
    assert (
        await mende.fetchval("SELECT count(*) FROM event_participants WHERE state = 'pending'") == 0
    )
    assert await dashboard(mende) == []


async def test_deleting_refuses_the_joins_that_wait(network: LoopbackNetwork) -> None:
    mende, florac, token, event = await pending_on_mende(network)
    status, _ = await call(mende, "DELETE", f"/api/v1/events/{event['id']}", token=token)
    assert status == 204
    assert await answer_on(florac, "ana", event["ap_id"]) == "rejected"
    assert await answer_on(florac, "bea", event["ap_id"]) == "rejected"
    assert await answered(mende, "lea", event["ap_id"]) == "rejected"
    assert await received_answers(florac, mende.place) == {"ana": "Reject", "bea": "Reject"}
    assert await dashboard(mende) == []


async def test_opening_the_event_accepts_while_seats_remain_and_refuses_the_rest(
    network: LoopbackNetwork,
) -> None:
    mende, florac, token, event = await pending_on_mende(network, maximum_attendee_capacity=1)
    path = f"/api/v1/events/{event['id']}"
    # A change that keeps the event on approval keeps them waiting.
    status, body = await call(mende, "PATCH", path, token=token, body={"name": "Soudure"})
    assert status == 200, body
    assert len(await dashboard(mende)) == 3
    status, body = await call(mende, "PATCH", path, token=token, body={"join_mode": "free"})
    assert (status, body["join_mode"], body["participant_count"]) == (200, "free", 1), body
    # In the order they asked: ana takes the only seat, bea and lea are refused.
    assert await answer_on(florac, "ana", event["ap_id"]) == "accepted"
    assert await answer_on(florac, "bea", event["ap_id"]) == "rejected"
    assert await answered(mende, "lea", event["ap_id"]) == "rejected"
    assert await received_answers(florac, mende.place) == {"ana": "Accept", "bea": "Reject"}
    status, listed = await call(mende, "GET", f"{path}/participants", token=token)
    assert status == 200
    assert [(p["participant"], p["state"]) for p in listed] == [
        (f"{florac.base}/actors/ana", "accepted")
    ]
    assert await dashboard(mende) == []
