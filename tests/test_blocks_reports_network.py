"""Blocks and reports between real nodes on loopback (issue 11, parts 3 and 4).

Mende follows Florac, which publishes an event. A Mende member reports it, forwarded: the Flag
by Mende's Application actor lands in Florac's queue, without the member's name. Florac blocks
a Mende member: the Block reaches Mende, and the member's Follow and Join are refused.
"""

from __future__ import annotations

import json
from typing import Any

from federation.hosts import canonical_host
from server.processing.follow_requests import follow_remote
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import answered, member, publish_event
from tests.test_federation_network import accepted, follow, follow_state
from tests.web_client import WebClient


async def two_places(
    network: LoopbackNetwork,
) -> tuple[NetworkNode, NetworkNode, dict[str, str], str]:
    """Mende follows Florac; Florac's event has reached Mende. Returns its id too."""
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(mende, florac)
    await wait_until(lambda: accepted(mende, mende.place, florac.place), what="the Accept")
    tokens = {"mende": await log_in(mende), "florac": await log_in(florac)}
    repair = (await publish_event(florac, tokens["florac"], name="Repair café"))["ap_id"]

    async def arrived() -> bool:
        return bool(await mende.fetchval("SELECT count(*) FROM events WHERE ap_id = $1", repair))

    await wait_until(arrived, what="florac's event on mende")
    return mende, florac, tokens, repair


async def log_entries(node: NetworkNode) -> list[dict[str, Any]]:
    text = await node.fetchval(
        "SELECT coalesce(json_agg(json_build_object('who', who, 'action', action, 'target', "
        "target, 'reason', reason, 'details', details) ORDER BY id), '[]')::text "
        "FROM moderation_log"
    )
    return json.loads(text)  # type: ignore[no-any-return]


async def received(node: NetworkNode, kind: str, actor: str) -> list[dict[str, Any]]:
    """The activities of `kind` from `actor` that `node`'s worker processed."""
    text = await node.fetchval(
        "SELECT coalesce(json_agg(payload ORDER BY id), '[]')::text FROM inbox_activities "
        "WHERE activity_type = $1 AND actor_uri = $2 AND state = 'done'",
        kind,
        actor,
    )
    return json.loads(text)  # type: ignore[no-any-return]


async def test_a_members_report_travels_to_the_reported_node_and_is_resolved_there(
    network: LoopbackNetwork,
) -> None:
    mende, florac, tokens, repair = await two_places(network)
    camille = await member(mende, tokens["mende"], "camille")
    status, filed = await call(
        mende, "POST", "/api/v1/reports", token=camille,
        body={"target": repair, "comment": "Annonce trompeuse", "forward": True},
    )  # fmt: skip
    assert status == 201, filed
    assert (filed["target_actor"], filed["objects"], filed["forwarded"]) == (
        florac.place,
        [repair],
        True,
    )

    async def florac_queue() -> list[dict[str, Any]] | None:
        status, body = await call(
            florac, "GET", "/api/v1/moderation/reports", token=tokens["florac"]
        )
        assert status == 200, body
        return body or None

    [report] = await wait_until(florac_queue, what="the report in florac's queue")
    assert report["reporter"] == f"{mende.base}/actors/application"
    assert report["origin"] == canonical_host(mende.base)
    assert (report["target_actor"], report["objects"]) == (florac.place, [repair])
    assert report["comment"] == "Annonce trompeuse"
    assert "camille" not in json.dumps(report)  # the reporter stays on her node

    # Florac's moderator resolves it; the log says who, what and why.
    path = f"/api/v1/moderation/reports/{report['id']}/resolve"
    body = {"resolution": "no_action", "reason": "vérifié"}
    status, resolved = await call(florac, "POST", path, token=tokens["florac"], body=body)
    assert status == 200, resolved
    assert (resolved["state"], resolved["resolved_by"]) == ("resolved", "admin")
    [entry] = await log_entries(florac)
    assert (entry["who"], entry["action"], entry["target"], entry["reason"]) == (
        "admin",
        "report.no_action",
        florac.place,
        "vérifié",
    )
    status, again = await call(florac, "POST", path, token=tokens["florac"], body=body)
    assert status == 422, again

    # On Mende, the member's own report is in the queue; removing the content removes the
    # imported event here.
    status, mine = await call(mende, "GET", "/api/v1/moderation/reports", token=tokens["mende"])
    assert status == 200, mine
    assert [(r["reporter"], r["origin"]) for r in mine] == [("camille", "")]
    status, removed = await call(
        mende, "POST", f"/api/v1/moderation/reports/{mine[0]['id']}/resolve",
        token=tokens["mende"], body={"resolution": "remove_content", "reason": "faux"},
    )  # fmt: skip
    assert status == 200, removed
    assert await mende.fetchval("SELECT count(*) FROM events WHERE ap_id = $1", repair) == 0
    assert [e["action"] for e in await log_entries(mende)] == [
        "report.file",
        "report.remove_content",
    ]
    # A member may report but not read the queue.
    status, _ = await call(mende, "GET", "/api/v1/moderation/reports", token=camille)
    assert status == 403


async def test_a_blocked_members_follow_and_join_are_refused_and_the_block_reaches_her_node(
    network: LoopbackNetwork,
) -> None:
    mende, florac, tokens, repair = await two_places(network)
    camille = await member(mende, tokens["mende"], "camille")
    camille_actor = f"{mende.base}/actors/camille"
    status, body = await call(
        mende, "POST", "/api/v1/me/follows", token=camille, body={"target": florac.place}
    )
    assert status == 202, body
    await wait_until(lambda: accepted(mende, camille_actor, florac.place), what="her follow")

    status, body = await call(
        florac, "POST", "/api/v1/moderation/blocks", token=tokens["florac"],
        body={"target": camille_actor, "reason": "spam"},
    )  # fmt: skip
    assert (status, body) == (200, {"actor": camille_actor, "state": "blocked"})

    # Mende received the Block (and the Reject that ended her follow, as Mastodon sends).
    [block] = await wait_until(
        lambda: received(mende, "Block", florac.place), what="the Block on mende"
    )
    assert (block["type"], block["actor"], block["object"]) == (
        "Block",
        florac.place,
        camille_actor,
    )
    await wait_until(lambda: received(mende, "Reject", florac.place), what="the Reject")
    # Whichever came first, the Block (as Mastodon's) ends the follow both ways on Mende too.
    assert await follow_state(mende, camille_actor, florac.place) is None
    assert (
        await florac.fetchval("SELECT count(*) FROM follows WHERE follower = $1", camille_actor)
        == 0
    )

    # Her new Follow is refused with a Reject naming it.
    status, body = await call(
        mende, "POST", "/api/v1/me/follows", token=camille, body={"target": florac.place}
    )
    assert status == 202, body
    follow_id = await mende.fetchval(
        "SELECT follow_activity_id FROM follows WHERE follower = $1", camille_actor
    )

    async def refused() -> bool:
        rejects = await received(mende, "Reject", florac.place)
        return any(r["object"]["id"] == follow_id for r in rejects)

    await wait_until(refused, what="the Reject of her new follow")
    assert await follow_state(mende, camille_actor, florac.place) == "rejected"
    assert (
        await florac.fetchval("SELECT count(*) FROM follows WHERE follower = $1", camille_actor)
        == 0
    )

    # Her Join of Florac's free event is refused too.
    status, body = await call(
        mende, "POST", "/api/v1/events/rsvp", token=camille, body={"event": repair}
    )
    assert status == 202, body
    assert await wait_until(lambda: answered(mende, "camille", repair), what="the answer") == (
        "rejected"
    )

    # Unblocking sends an Undo of that Block.
    status, body = await call(
        florac, "DELETE", "/api/v1/moderation/blocks", token=tokens["florac"],
        body={"target": camille_actor},
    )  # fmt: skip
    assert (status, body) == (200, {"actor": camille_actor, "state": "unblocked"})
    [undo] = await wait_until(lambda: received(mende, "Undo", florac.place), what="the Undo")
    assert (undo["object"]["type"], undo["object"]["id"]) == ("Block", block["id"])
    actions = [(e["who"], e["action"], e["target"]) for e in await log_entries(florac)]
    assert actions == [("admin", "block", camille_actor), ("admin", "unblock", camille_actor)]


async def test_a_place_blocking_a_neighbour_drops_what_it_sent(network: LoopbackNetwork) -> None:
    mende, florac, tokens, repair = await two_places(network)
    status, body = await call(
        mende, "POST", "/api/v1/moderation/blocks", token=tokens["mende"],
        body={"target": florac.place},
    )  # fmt: skip
    assert (status, body) == (200, {"actor": florac.place, "state": "blocked"})
    assert await mende.fetchval("SELECT count(*) FROM events WHERE ap_id = $1", repair) == 0
    assert await follow_state(mende, mende.place, florac.place) is None
    # Florac hears the Undo of the follow, then the Block, and drops the follower.
    [block] = await wait_until(lambda: received(florac, "Block", mende.place), what="the Block")
    assert block["object"] == florac.place
    assert await follow_state(florac, mende.place, florac.place) is None
    # What Florac sends now stays out.
    await publish_event(florac, tokens["florac"], name="Marché")
    status, body = await call(mende, "GET", "/api/v1/moderation/blocks", token=tokens["mende"])
    assert status == 200, body
    assert [(b["blocker"], b["actor"]) for b in body] == [("place", florac.place)]


async def test_a_members_block_ends_her_follows_refuses_theirs_and_hides_them_from_her(
    network: LoopbackNetwork,
) -> None:
    mende, florac, tokens, _ = await two_places(network)
    camille = await member(mende, tokens["mende"], "camille")
    camille_actor = f"{mende.base}/actors/camille"
    status, body = await call(
        mende, "POST", "/api/v1/me/follows", token=camille, body={"target": florac.place}
    )
    assert status == 202, body
    await wait_until(lambda: accepted(mende, camille_actor, florac.place), what="her follow")

    status, body = await call(
        mende, "POST", "/api/v1/me/blocks", token=camille, body={"target": florac.place}
    )
    assert (status, body) == (200, {"actor": florac.place, "state": "blocked"})
    assert await follow_state(mende, camille_actor, florac.place) is None
    assert await accepted(mende, mende.place, florac.place)  # the place's own follow stays
    [block] = await wait_until(lambda: received(florac, "Block", camille_actor), what="her Block")
    assert block["object"] == florac.place
    status, mine = await call(mende, "GET", "/api/v1/me/blocks", token=camille)
    assert [(b["blocker"], b["actor"]) for b in mine] == [("camille", florac.place)]
    status, places = await call(mende, "GET", "/api/v1/moderation/blocks", token=tokens["mende"])
    assert places == []  # hers, not the place's

    # Florac's place now follows her: refused with a Reject.
    await florac.services.actors.refresh_actor(camille_actor)
    async with florac.pool.acquire() as connection, connection.transaction():
        await follow_remote(connection, florac.services.node, "place", camille_actor)

    async def answered_follow() -> str | None:
        state = await follow_state(florac, florac.place, camille_actor)
        return None if state == "pending" else state

    assert await wait_until(answered_follow, what="the answer to florac's follow") == "rejected"

    # Florac's event leaves the agenda she sees, not the one others see.
    for username, password, shown in (("camille", "y" * 12, False), ("admin", "x" * 12, True)):
        async with WebClient(mende) as browser:
            await browser.sign_in(username, password)
            status, page = await browser.get("/agenda?from=2026-01-01T00:00:00Z")
            assert status == 200
            assert ("Repair café" in page) is shown, username
