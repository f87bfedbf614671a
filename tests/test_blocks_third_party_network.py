"""A block holds against a third party (issue 11): Mende follows Florac and blocks Camille, a
Florac member. What Florac announces of hers (an event attributed to her, her shared profile)
stays off Mende's agenda, people search and wall; what Mende held of hers already leaves with
the block; after the unblock, Florac's next announce shows again."""

from __future__ import annotations

from typing import Any

from server.documents.events import PUBLIC
from server.processing.profiles import share
from server.processing.publish import publish
from server.storage import backfill_jobs
from tests.hostile import processed
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import member
from tests.test_federation_network import accepted, follow
from tests.web_client import WebClient


async def mende_follows_florac(
    network: LoopbackNetwork,
) -> tuple[NetworkNode, NetworkNode, dict[str, str]]:
    """Mende's place follows Florac's (accepted); the administrators' tokens of both."""
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(mende, florac)
    await wait_until(lambda: accepted(mende, mende.place, florac.place), what="the Accept")
    return mende, florac, {"mende": await log_in(mende), "florac": await log_in(florac)}


async def florac_member(florac: NetworkNode, admin: str) -> str:
    """Camille, a Florac member whose profile is shared with the network: her actor id."""
    await member(florac, admin, "camille")
    return f"{florac.base}/actors/camille"


async def florac_sends(florac: NetworkNode, verb: str, document: dict[str, Any]) -> str:
    """Florac's place sends `verb` of `document` to its followers, through its own outbox and
    delivery worker (signed, over HTTP); returns the activity's id."""
    urls = florac.services.urls
    activity = {"type": verb, "to": [PUBLIC], "cc": [urls.followers("place")], "object": document}
    async with florac.pool.acquire() as connection, connection.transaction():
        outbox_id = await publish(connection, urls, "place", activity, to_followers=True)
        activity_id: str = await connection.fetchval(
            "SELECT activity_id FROM outbox_activities WHERE id = $1", outbox_id
        )
    return activity_id


def her_event(florac: NetworkNode, author: str, slug: str) -> dict[str, Any]:
    return {
        "id": f"{florac.base}/events/{slug}",
        "type": "Event",
        "name": f"Atelier {slug}",
        "startTime": "2036-06-01T18:00:00Z",
        "attributedTo": author,
        "to": [PUBLIC],
    }


async def held(node: NetworkNode, event_id: str) -> bool:
    return bool(await node.fetchval("SELECT count(*) FROM events WHERE ap_id = $1", event_id))


async def on_the_wall(node: NetworkNode, object_id: str) -> int:
    count: int = await node.fetchval(
        "SELECT count(*) FROM stream_events WHERE data->>'id' = $1 "
        "AND data->>'action' IS DISTINCT FROM 'removed'",
        object_id,
    )
    return count


async def profile_held(node: NetworkNode, person: str) -> bool:
    return bool(
        await node.fetchval("SELECT count(*) FROM remote_profiles WHERE person = $1", person)
    )


async def backfills_done(node: NetworkNode, followed: str, count: int) -> bool:
    done = await node.fetchval(
        "SELECT count(*) FROM backfill_jobs WHERE followed = $1 AND state = 'done'", followed
    )
    return bool(done == count)


async def arrives(node: NetworkNode, activity_id: str) -> None:
    """Wait until `node` received and processed the activity (whatever it made of it)."""

    async def stored() -> bool:
        return bool(
            await node.fetchval(
                "SELECT count(*) FROM inbox_activities WHERE activity_id = $1", activity_id
            )
        )

    await wait_until(stored, what=f"{activity_id} on {node.name}")
    assert await processed(node, activity_id) == "done"


async def test_a_place_block_holds_against_what_a_neighbour_announces(
    network: LoopbackNetwork,
) -> None:
    mende, florac, admin = await mende_follows_florac(network)
    camille = await florac_member(florac, admin["florac"])

    # Before the block: her profile and an event of hers, both announced by Florac, arrive.
    async with florac.pool.acquire() as connection, connection.transaction():
        await share(connection, florac.services.urls, "camille")
    await wait_until(lambda: profile_held(mende, camille), what="her profile on mende")
    before = her_event(florac, camille, "avant")
    await arrives(mende, await florac_sends(florac, "Announce", before))
    assert await held(mende, before["id"])
    assert await on_the_wall(mende, before["id"]) == 1

    status, body = await call(
        mende, "POST", "/api/v1/moderation/blocks", token=admin["mende"],
        body={"target": camille, "reason": "spam"},
    )  # fmt: skip
    assert (status, body) == (200, {"actor": camille, "state": "blocked"})
    # What Mende held of hers left with the block, though it came from Florac, still followed.
    assert await accepted(mende, mende.place, florac.place)
    assert not await held(mende, before["id"])
    assert await on_the_wall(mende, before["id"]) == 0
    assert not await profile_held(mende, camille)
    assert await on_the_wall(mende, camille) == 0

    # While blocked: an Announce, a Create and an Update of her events, and her profile
    # announced again, change nothing.
    during = [her_event(florac, camille, name) for name in ("annonce", "creation", "maj")]
    sent = [
        await florac_sends(florac, "Announce", during[0]),
        await florac_sends(florac, "Create", during[1]),
        await florac_sends(florac, "Update", during[2]),
    ]
    async with florac.pool.acquire() as connection, connection.transaction():
        await share(connection, florac.services.urls, "camille")
    shared_again = await florac.fetchval(
        "SELECT activity_id FROM outbox_activities WHERE activity_type = 'Announce' "
        "AND payload->'object'->>'id' = $1",
        camille,
    )
    for activity_id in [*sent, shared_again]:
        await arrives(mende, activity_id)
    for event in during:
        assert not await held(mende, event["id"]), event["id"]
        assert await on_the_wall(mende, event["id"]) == 0
    assert not await profile_held(mende, camille)
    status, listed = await call(mende, "GET", "/api/v1/events")
    assert status == 200, listed
    assert not [item for item in listed if item["ap_id"].startswith(f"{florac.base}/events/")]
    # Florac's own events still come: only hers are kept out.
    florac_own = her_event(florac, florac.place, "florac")
    await arrives(mende, await florac_sends(florac, "Announce", florac_own))
    assert await held(mende, florac_own["id"])

    # A backfill of Florac (a new follow accepted) reads its outbox, which holds all of these:
    # it meets the same border.
    async with mende.pool.acquire() as connection:
        await backfill_jobs.enqueue(connection, florac.place)
    await wait_until(lambda: backfills_done(mende, florac.place, 2), what="the second backfill")
    for event in [before, *during]:
        assert not await held(mende, event["id"]), event["id"]
    assert not await profile_held(mende, camille)

    # Unblocked, Florac's next Announce of her event shows.
    status, body = await call(
        mende, "DELETE", "/api/v1/moderation/blocks", token=admin["mende"],
        body={"target": camille},
    )  # fmt: skip
    assert (status, body) == (200, {"actor": camille, "state": "unblocked"})
    await arrives(mende, await florac_sends(florac, "Announce", during[0]))
    assert await held(mende, during[0]["id"])
    assert await on_the_wall(mende, during[0]["id"]) == 1


async def test_a_members_block_hides_what_a_neighbour_announces_of_the_actor_from_her(
    network: LoopbackNetwork,
) -> None:
    mende, florac, admin = await mende_follows_florac(network)
    louise = await member(mende, admin["mende"], "louise")
    camille = await florac_member(florac, admin["florac"])
    status, body = await call(
        mende, "POST", "/api/v1/me/blocks", token=louise, body={"target": camille}
    )
    assert (status, body) == (200, {"actor": camille, "state": "blocked"})

    # Her block is hers: the event and the profile Florac announces reach Mende...
    event = her_event(florac, camille, "ecriture") | {"name": "Atelier d'écriture"}
    await arrives(mende, await florac_sends(florac, "Announce", event))
    assert await held(mende, event["id"])
    async with florac.pool.acquire() as connection, connection.transaction():
        await share(connection, florac.services.urls, "camille")
    await wait_until(lambda: profile_held(mende, camille), what="her profile on mende")

    # ...and stay off the agenda and people pages Louise sees, not off the others'.
    for username, password, shown in (("louise", "y" * 12, False), ("admin", "x" * 12, True)):
        async with WebClient(mende) as browser:
            await browser.sign_in(username, password)
            status, page = await browser.get("/agenda?from=2036-01-01T00:00:00Z")
            assert status == 200
            assert ("Atelier d&#39;écriture" in page or "Atelier d'écriture" in page) is shown
            status, page = await browser.get("/people")
            assert status == 200
            assert (camille in page) is shown, username
