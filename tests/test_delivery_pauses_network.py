"""An operator sees a paused neighbour and lifts the pause (REST API and command line)."""

from __future__ import annotations

from pathlib import Path

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import run_maillage_async, wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_federation_network import accepted, follow, publish_note, received
from tests.web_client import WebClient


async def florac_paused(network: LoopbackNetwork) -> tuple[NetworkNode, NetworkNode, str, str]:
    """Florac follows Mende, goes down, misses a note and is paused as if down for hours (its
    next probe far away); returns both nodes, Florac's host and the note's id."""
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    # On florac's side: the Accept has arrived, so no delivery to florac is left but the note's.
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the follow")
    host = florac.settings.domain
    assert host is not None

    async def accept_delivered() -> bool:
        # The follow is accepted at Mende before its Accept reaches Florac: stopping Florac
        # earlier would leave the Accept pending beside the note.
        pending: int = await mende.fetchval(
            "SELECT count(*) FROM deliveries WHERE host = $1 AND state = 'pending'", host
        )
        return pending == 0

    await wait_until(accept_delivered, what="the Accept delivered to florac")
    await florac.stop()
    note = await publish_note(mende, "atelier annulé")

    async def paused() -> bool:
        return bool(
            await mende.fetchval(
                "SELECT circuit_open_until > now() FROM remote_hosts WHERE host = $1", host
            )
        )

    await wait_until(paused, what="florac paused after a failed delivery")
    await mende.fetchval(
        "UPDATE remote_hosts SET circuit_open_until = now() + interval '1 hour', "
        "failing_since = now() - interval '3 hours' WHERE host = $1 RETURNING 1",
        host,
    )
    return mende, florac, host, note


async def test_an_operator_sees_a_paused_host_and_retries_it_now(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    mende, florac, host, note = await florac_paused(network)
    token = await log_in(mende)
    status, states = await call(mende, "GET", "/api/v1/deliveries", token=token)
    assert status == 200
    [state] = [s for s in states if s["host"] == host]
    assert state["pending"] == 1
    assert state["circuit_open_until"] is not None

    env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "config"), "MAILLAGE_PASSWORD": "x" * 12}
    url = f"http://127.0.0.1:{mende.port}"
    assert (
        await run_maillage_async("login", "--node", url, "--username", "admin", env=env)
    ).returncode == 0
    listed = await run_maillage_async("deliveries", env=env)
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if line.startswith(host)]
    assert state["circuit_open_until"][:10] in row, "the table shows until when it is paused"

    await florac.start()
    retried = await run_maillage_async("deliveries", "retry", host, env=env)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.strip() == f"1 deliveries to {host} due now."
    assert await wait_until(lambda: received(florac, note), what="the note once retried")

    status, body = await call(
        mende, "POST", "/api/v1/deliveries/nowhere.example/retry", token=token
    )
    assert (status, body["error"]) == (404, "no delivery to nowhere.example")
    status, body = await call(mende, "POST", "/api/v1/deliveries/a%20b/retry", token=token)
    assert status == 422
    unknown = await run_maillage_async("deliveries", "retry", "nowhere.example", env=env)
    assert unknown.returncode == 1
    assert "no delivery to nowhere.example" in unknown.stderr


async def test_a_burst_answered_429_waits_as_asked_and_arrives_whole(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    florac.settings = florac.settings.model_copy(
        update={"inbox_origin_rate_per_second": 4.0, "inbox_origin_burst": 5}
    )
    await network.start_all()
    await follow(florac, mende)
    # On florac's side: the Accept has arrived, so no delivery to florac is left but the note's.
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the follow")

    notes = [await publish_note(mende, f"atelier {number}") for number in range(30)]

    async def all_received() -> bool:
        for note in notes:
            if not await received(florac, note):
                return False
        return True

    # At florac's 4 a second, with the 429s' Retry-After honoured: no 6-hour pause.
    assert await wait_until(all_received, within=60, what="every note of the burst")
    state = await mende.fetchval(
        "SELECT (consecutive_failures, failing_since IS NULL,"
        " circuit_open_until IS NOT NULL)::text "
        "FROM remote_hosts WHERE host = $1",
        florac.settings.domain,
    )
    # No failure streak; a pause was set, which only a Retry-After does without a streak.
    assert state == "(0,t,t)"
    assert await mende.fetchval("SELECT count(*) FROM deliveries WHERE state = 'failed'") == 0


async def test_the_dashboard_shows_a_paused_host_and_retries_it_now(
    network: LoopbackNetwork,
) -> None:
    mende, florac, host, note = await florac_paused(network)
    async with WebClient(mende) as admin:
        await admin.sign_in()
        status, page = await admin.get("/manage")
        assert status == 200
        assert host in page
        await florac.start()
        status, location, _ = await admin.post("/manage/deliveries/retry", {"host": host})
        assert (status, location) == (303, "/manage")
    assert await wait_until(lambda: received(florac, note), what="the note once retried")
