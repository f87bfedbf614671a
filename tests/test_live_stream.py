"""The live stream: Server-Sent Events fanned out across two server processes on one database."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from server.appkeys import LIVE
from server.processing.live_feed import stream_item
from server.processing.publish import PUBLIC
from server.storage import stream
from tests.network import LoopbackNetwork
from tests.support import free_port, maillage_command, run_maillage, wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import member, neighbours, publish_event
from tests.test_federation_network import accepted, follow
from tests.test_node_cli import ready_status


@contextmanager
def serving(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as output:
        process = subprocess.Popen(
            maillage_command("serve", "--port", str(port)),
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


class EventReader:
    """Reads SSE frames from an open response."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next_event(self, within: float = 15.0) -> dict[str, Any]:
        fields: dict[str, str] = {}
        async with asyncio.timeout(within):
            while True:
                raw = await self.response.content.readline()
                assert raw, "the stream ended"
                line = raw.decode().rstrip("\n")
                if not line:
                    if "data" in fields:
                        return {
                            "id": int(fields["id"]),
                            "event": fields["event"],
                            **json.loads(fields["data"]),
                        }
                    continue
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(": ")
                fields[name] = value


@asynccontextmanager
async def subscribed(
    session: aiohttp.ClientSession, port: int, query: str = "", last_event_id: int | None = None
) -> AsyncIterator[EventReader]:
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    async with session.get(
        f"http://127.0.0.1:{port}/api/v1/stream{query}", headers=headers
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        yield EventReader(response)


async def append(database_url: str, kind: str, data: dict[str, Any]) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            return await stream.append(connection, kind, data, local=False, place="https://x/p")
    finally:
        await connection.close()


async def test_two_processes_fan_out_and_resume(tmp_path: Path, database_url: str) -> None:
    first_port, second_port = free_port(), free_port()
    env = {
        "MAILLAGE_DATA_DIR": str(tmp_path / "node"),
        "DATABASE_URL": database_url,
    }
    init = run_maillage(
        "init", "--development", "--domain", f"mende.test:{first_port}", "--name", "Mende",
        "--admin-username", "camille", "--admin-email", "c@example.org",
        "--admin-password", "correct horse battery", env=env,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    with (
        serving(env, first_port, tmp_path / "first.log"),
        serving({**env, "MAILLAGE_RUN_WORKERS": "false"}, second_port, tmp_path / "second.log"),
    ):
        for port in (first_port, second_port):
            await wait_until(lambda p=port: ready_status(p), within=90, what=f"server on {port}")
        async with (
            aiohttp.ClientSession() as session,
            subscribed(session, first_port) as on_first,
            subscribed(session, second_port) as on_second,
            subscribed(session, second_port, "?kinds=call") as calls_only,
        ):
            event_id = await append(database_url, "event", {"name": "Repair café"})
            call_id = await append(database_url, "call", {"name": "Appel à bénévoles"})
            for reader in (on_first, on_second):
                received = await reader.next_event()
                assert (received["id"], received["event"], received["name"]) == (
                    event_id,
                    "event",
                    "Repair café",
                )
                assert (await reader.next_event())["id"] == call_id
            only = await calls_only.next_event()
            assert (only["id"], only["event"]) == (call_id, "call")

            async with subscribed(session, first_port, last_event_id=event_id) as resumed:
                replayed = await resumed.next_event()
                assert (replayed["id"], replayed["name"]) == (call_id, "Appel à bénévoles")

            # The same in the query, for a client that opens a new EventSource (the wall does).
            query = f"?kinds=call&last_event_id={event_id}"
            async with subscribed(session, second_port, query) as by_query:
                assert (await by_query.next_event())["id"] == call_id

            async with session.get(
                f"http://127.0.0.1:{first_port}/api/v1/stream?kinds=gossip&km=-1"
            ) as refused:
                assert refused.status == 422
                body = await refused.json()
                assert set(body["fields"]) == {"kinds", "km"}


async def test_the_wall_page_reads_the_stream_in_both_languages(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{mende.port}/wall") as response,
    ):
        assert response.status == 200
        assert response.content_type == "text/html"
        assert "connect-src 'self'" in response.headers["Content-Security-Policy"]
        page = await response.text()
        assert '<script src="/static/wall.js">' in page
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{mende.port}/static/wall.js") as response,
    ):
        assert response.content_type == "text/javascript"
        script = await response.text()
    assert "new EventSource(`/api/v1/stream?${query}`)" in script
    assert "La vie du réseau" in page
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{mende.port}/wall?lang=en", headers={"Accept-Language": "fr"}
        ) as response,
    ):
        assert "Life of the network" in await response.text()
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{mende.port}/wall", headers={"Accept-Language": "en"}
        ) as response,
    ):
        # The screen's language is the space's choice, not the kiosk browser's.
        assert "La vie du réseau" in await response.text()
    assert "innerHTML" not in script, "remote text must only ever be set as text"


async def test_an_event_shows_on_both_walls_marked_local_or_network(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the follow")
    token = await log_in(mende)
    async with (
        aiohttp.ClientSession() as session,
        subscribed(session, mende.port, "?kinds=event") as on_mende,
        subscribed(session, florac.port, "?kinds=event&scope=network&tag=fablab") as on_florac,
        subscribed(
            session, florac.port, "?kinds=event&latitude=43.0&longitude=1.0&km=50"
        ) as far_from_mende,
    ):
        created = await publish_event(mende, token)
        here = await on_mende.next_event(within=30)
        there = await on_florac.next_event(within=30)
        for received in (here, there):
            assert received["id"]
            assert received["name"] == created["name"]
            assert received["latitude"] == 44.0
            assert received["place"] == mende.place
        assert (here["local"], there["local"]) == (True, False)
        with pytest.raises(TimeoutError):
            await far_from_mende.next_event(within=1)


def test_only_public_material_and_no_participant_reaches_the_stream() -> None:
    event = {"id": "https://m/e/1", "type": "Event", "name": "Atelier &amp; <co>"}
    public = {"type": "Create", "to": [PUBLIC], "object": event}
    kind, data = stream_item(public) or ("", {})
    assert (kind, data["name"], data["action"]) == ("event", "Atelier & <co>", "created")
    assert stream_item({"type": "Create", "to": ["https://m/followers"], "object": event}) is None
    join = {"type": "Join", "actor": "https://f/actors/lea", "object": "https://m/e/1"}
    accept = {"type": "Accept", "to": ["https://f/actors/lea"], "object": join}
    assert stream_item(accept) == ("rsvp", {"event": "https://m/e/1", "action": "accepted"})
    assert stream_item({"type": "Delete", "to": [PUBLIC], "object": event}) is None


async def test_a_join_refreshes_the_seats_on_both_walls_instead_of_reading_as_an_edit(
    network: LoopbackNetwork,
) -> None:
    mende, florac, token = await neighbours(network)
    camille = await member(florac, await log_in(florac), "camille")
    async with (
        aiohttp.ClientSession() as session,
        subscribed(session, mende.port, "?kinds=event") as on_mende,
        subscribed(session, florac.port, "?kinds=event") as on_florac,
    ):
        created = await publish_event(mende, token)  # 5 seats
        for wall in (on_mende, on_florac):
            assert (await wall.next_event(within=30))["action"] == "created"
        status, body = await call(
            florac, "POST", "/api/v1/events/rsvp", token=camille, body={"event": created["ap_id"]}
        )
        assert status == 202, body
        here = await on_mende.next_event(within=30)
        there = await on_florac.next_event(within=30)
        for seen in (here, there):
            assert seen["id"] == created["ap_id"]
            assert seen["action"] == "seats"
            assert (seen["participantCount"], seen["remainingAttendeeCapacity"]) == (1, 4)
        # An edit is still an edit.
        status, body = await call(
            mende, "PATCH", f"/api/v1/events/{created['id']}", token=token,
            body={"name": "Atelier soudure (déplacé)"},
        )  # fmt: skip
        assert status == 200, body
        for wall in (on_mende, on_florac):
            assert (await wall.next_event(within=30))["action"] == "updated"


def test_an_address_given_as_an_object_does_not_fail_the_stream() -> None:
    event = {"id": "https://m/e/1", "type": "Event", "name": "Atelier"}
    addressed = {"type": "Create", "to": [{"id": PUBLIC}, {"name": "?"}, 3], "object": event}
    assert stream_item(addressed) is not None
    assert stream_item({**addressed, "to": [{"id": "https://m/followers"}]}) is None


async def test_a_screen_that_leaves_is_no_error(
    network: LoopbackNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that goes away is how every stream ends: the next write finds the connection
    closed, and that is logged as nothing worse than the request's end."""
    mende = await network.add("mende")
    await mende.start()
    assert mende.runner is not None
    hub = mende.runner.app[LIVE]
    async with aiohttp.ClientSession() as session:
        async with subscribed(session, mende.port) as wall:
            first = await append(mende.database_url, "event", {"name": "Atelier"})
            assert (await wall.next_event())["id"] == first
        # The client has closed its side; the node only learns it when it writes again.
        await append(mende.database_url, "event", {"name": "Après le départ"})

        async def left() -> bool:
            return hub.readers == 0  # the page cache's listener stays

        await wait_until(left, what="the stream to end after its client left")
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]
