"""Answering what waits for an animateur through the REST API and the CLI, between real nodes:
follows of a place that approves its followers manually, and Joins of an event on approval.
A refusal carries a stable code beside its English message."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import run_maillage_async, wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import answered, member, publish_event
from tests.test_federation_network import follow, follow_state


async def is_state(node: NetworkNode, follower: str, followed: str, state: str | None) -> bool:
    return await follow_state(node, follower, followed) == state


async def test_a_locked_place_answers_follows_by_api_and_cli(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    lozere = await network.add("lozere")
    await network.start_all()
    token = await log_in(mende)
    status, profile = await call(
        mende, "PATCH", "/api/v1/place", token=token, body={"manually_approves_followers": True}
    )
    assert (status, profile["manually_approves_followers"]) == (200, True), profile
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{mende.port}/actors/place",
            headers={"Accept": "application/activity+json"},
        ) as response,
    ):
        actor = await response.json(content_type=None)
    assert actor["manuallyApprovesFollowers"] is True
    # A later edit that does not name the setting keeps it.
    status, profile = await call(
        mende, "PATCH", "/api/v1/place", token=token, body={"description": "Un fablab"}
    )
    assert profile["manually_approves_followers"] is True

    await follow(florac, mende)
    await follow(lozere, mende)
    await wait_until(
        lambda: is_state(mende, lozere.place, mende.place, "pending"), what="lozere waiting"
    )
    await wait_until(
        lambda: is_state(mende, florac.place, mende.place, "pending"), what="florac waiting"
    )
    status, listed = await call(mende, "GET", "/api/v1/neighbours", token=token)
    assert {n["actor"]: n["follows_us"] for n in listed} == {
        florac.place: "pending",
        lozere.place: "pending",
    }

    # By its handle as the neighbours list shows it.
    handle = next(n["handle"] for n in listed if n["actor"] == florac.place)
    status, body = await call(
        mende, "POST", "/api/v1/neighbours/followers/accept", token=token,
        body={"target": handle},
    )  # fmt: skip
    assert (status, body) == (200, {"actor": florac.place, "state": "accepted"}), body
    await wait_until(
        lambda: is_state(florac, florac.place, mende.place, "accepted"), what="florac accepted"
    )
    # Answered already: refused with a code, and nothing changes.
    status, body = await call(
        mende, "POST", "/api/v1/neighbours/followers/refuse", token=token,
        body={"target": florac.place},
    )  # fmt: skip
    assert (status, body["code"]) == (422, "not-pending"), body
    assert await follow_state(mende, florac.place, mende.place) == "accepted"

    env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "config"), "MAILLAGE_PASSWORD": "x" * 12}
    url = f"http://127.0.0.1:{mende.port}"
    login = await run_maillage_async("login", "--node", url, "--username", "admin", env=env)
    assert login.returncode == 0, login.stderr
    refused = await run_maillage_async("neighbours", "refuse", lozere.place, env=env)
    assert refused.returncode == 0, refused.stderr
    assert "refused" in refused.stdout
    await wait_until(
        lambda: is_state(lozere, lozere.place, mende.place, "rejected"), what="lozere refused"
    )
    assert await follow_state(mende, lozere.place, mende.place) is None
    again = await run_maillage_async("neighbours", "accept", lozere.place, env=env)
    assert again.returncode == 1
    assert "does not wait for an answer" in again.stderr
    bad = await run_maillage_async("neighbours", "accept", "ab", env=env)
    assert bad.returncode == 1
    assert "invalid input" in bad.stderr, bad.stderr
    assert "target" in bad.stderr
    assert "Traceback" not in bad.stderr


async def test_joins_of_an_event_on_approval_are_answered_by_api_and_cli(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    token = await log_in(mende)
    event = await publish_event(mende, token, join_mode="restricted")
    florac_admin = await log_in(florac)
    ana = await member(florac, florac_admin, "ana")
    status, body = await call(
        florac, "POST", "/api/v1/events/rsvp", token=ana, body={"event": event["ap_id"]}
    )
    assert (status, body["state"]) == (202, "pending")
    # A member of the organiser's own node waits too.
    lea = await member(mende, token, "lea", shared=False)
    status, body = await call(
        mende, "POST", "/api/v1/events/rsvp", token=lea, body={"event": event["ap_id"]}
    )
    assert (status, body["state"]) == (202, "pending")

    ana_uri, lea_uri = f"{florac.base}/actors/ana", f"{mende.base}/actors/lea"

    async def both_waiting() -> list[tuple[str, str]] | None:
        status, found = await call(
            mende, "GET", f"/api/v1/events/{event['id']}/participants", token=token
        )
        assert status == 200
        pairs = sorted((p["participant"], p["state"]) for p in found)
        return pairs if len(pairs) == 2 else None

    assert await wait_until(both_waiting, what="two Joins waiting") == sorted(
        [(ana_uri, "pending"), (lea_uri, "pending")]
    )
    # A member may not answer: the same roles as the other event actions.
    status, body = await call(
        mende, "POST", f"/api/v1/events/{event['id']}/participants/accept", token=lea,
        body={"participant": lea_uri},
    )  # fmt: skip
    assert status == 403

    env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "config"), "MAILLAGE_PASSWORD": "x" * 12}
    url = f"http://127.0.0.1:{mende.port}"
    login = await run_maillage_async("login", "--node", url, "--username", "admin", env=env)
    assert login.returncode == 0, login.stderr
    accepted = await run_maillage_async("events", "accept", str(event["id"]), ana_uri, env=env)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.strip() == f"{ana_uri}: accepted"
    await wait_until(
        lambda: is_answered(florac, "ana", event["ap_id"], "accepted"), what="ana accepted"
    )
    status, body = await call(
        mende, "POST", f"/api/v1/events/{event['id']}/participants/refuse", token=token,
        body={"participant": lea_uri},
    )  # fmt: skip
    assert (status, body) == (200, {"participant": lea_uri, "state": "rejected"})
    assert await answered(mende, "lea", event["ap_id"]) == "rejected"
    listed = await run_maillage_async("events", "participants", str(event["id"]), env=env)
    assert listed.returncode == 0, listed.stderr
    assert ana_uri in listed.stdout
    assert lea_uri not in listed.stdout
    status, shown = await call(mende, "GET", f"/api/v1/events/{event['id']}", token=token)
    assert shown["participant_count"] == 1


async def is_answered(node: NetworkNode, name: str, event: str, state: str) -> bool:
    return await answered(node, name, event) == state
