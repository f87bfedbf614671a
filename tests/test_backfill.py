"""Backfill: a new follower gets what the followed place published before, with nothing resent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_federation_network import accepted, follow, publish_note
from tests.test_profiles import new_member, profile_body, remote_profile, set_visibility


async def post_event(node: NetworkNode, token: str, name: str, start: datetime) -> str:
    status, body = await call(
        node,
        "POST",
        "/api/v1/events",
        token=token,
        body={
            "name": name,
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(hours=2)).isoformat(),
            "timezone": "Europe/Paris",
        },
    )
    assert status == 201, body
    ap_id: str = body["ap_id"]
    return ap_id


async def has_event(node: NetworkNode, ap_id: str) -> bool:
    return bool(await node.fetchval("SELECT count(*) FROM events WHERE ap_id = $1", ap_id))


async def test_a_new_follower_imports_current_events_and_shared_profiles(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    admin = await log_in(mende)
    now = datetime.now(UTC)
    upcoming = await post_event(mende, admin, "Atelier soudure", now + timedelta(days=7))
    over = await post_event(mende, admin, "Repair café passé", now - timedelta(days=10))
    camille = await new_member(mende, "camille")
    await call(mende, "PUT", "/api/v1/me/profile", token=camille, body=profile_body("BF1"))
    await set_visibility(mende, camille, "network")
    denis = await new_member(mende, "denis")  # shared, then withdrew: must not be backfilled
    await call(mende, "PUT", "/api/v1/me/profile", token=denis, body=profile_body("BF2"))
    await set_visibility(mende, denis, "network")
    await set_visibility(mende, denis, "private")
    await publish_note(mende, "note sans importeur")

    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the Accept")

    camille_actor = f"{mende.base}/actors/camille"
    shared = await wait_until(
        lambda: remote_profile(florac, camille_actor), what="camille's profile on florac"
    )
    assert shared["place"] == mende.place
    assert shared["name"] == "Camille BF1"
    await wait_until(lambda: has_event(florac, upcoming), what="the upcoming event on florac")

    async def job_done() -> bool:
        state = await florac.fetchval(
            "SELECT state FROM backfill_jobs WHERE followed = $1", mende.place
        )
        return state == "done"

    await wait_until(job_done, what="the backfill job to finish")
    assert not await has_event(florac, over), "an event that is over was imported"
    assert await remote_profile(florac, f"{mende.base}/actors/denis") is None
    pushed = await florac.fetchval(
        "SELECT count(*) FROM inbox_activities WHERE activity_type <> 'Accept'"
    )
    assert pushed == 0, "florac got these by delivery, not by backfill"
