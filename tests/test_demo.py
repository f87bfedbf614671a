"""`maillage demo`, the README's run command: three real nodes that end up following each other."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
from pathlib import Path

import aiohttp

from clients.api import MaillageClient
from maillage.demo import DEMO_PASSWORD, demo_places
from tests.support import free_port, maillage_command, wait_until


async def neighbours_accepted(url: str) -> bool:
    async with MaillageClient(url) as client:
        await client.log_in("admin", DEMO_PASSWORD)
        found = await client.neighbours()
    return sum(1 for n in found if n.we_follow == "accepted") == 2


async def agenda_size(url: str, expected: int) -> bool:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/api/v1/agenda") as reply:
        body = await reply.json()
    items = body["items"] if isinstance(body, dict) else body
    return len(items) >= expected


async def finds_person(url: str, skill: str, name: str) -> bool:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}/api/v1/people", params={"skill": skill}) as reply,
    ):
        body = await reply.json()
    items = body["items"] if isinstance(body, dict) else body
    return any(item.get("name") == name for item in items)


async def places_described(url: str, towns: set[str]) -> bool:
    """Every place of the directory has a town, coordinates and hours of its own."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}/api/v1/places?suggestions=false") as response,
    ):
        listed = await response.json()
    return {place["locality"] for place in listed} == towns and all(
        place["latitude"] is not None and place["opening_hours"] for place in listed
    )


async def test_the_demo_starts_three_following_places_and_stops_cleanly(
    open_temp_root: Path,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="demo-", dir=open_temp_root))
    folder.chmod(0o755)
    base_port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    process = await asyncio.create_subprocess_exec(
        *maillage_command("demo", "--folder", str(folder), "--base-port", str(base_port)),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        printed: list[str] = []
        async with asyncio.timeout(180):
            while not any("Ctrl-C" in line for line in printed):
                line = (await process.stdout.readline()).decode()
                assert line, "the demo ended early:\n" + "".join(printed)
                printed.append(line)
        places = demo_places(base_port)
        for place in places:
            assert any(f"{place.url}/agenda" in line for line in printed)
            assert any(f"{place.url}/wall" in line for line in printed)
        for place in places:
            await wait_until(
                lambda url=place.url: neighbours_accepted(url),
                within=60,
                what=f"{place.slug} to follow both neighbours",
            )
        await wait_until(
            lambda: agenda_size(places[0].url, 6), within=60, what="the network's six events"
        )
        await wait_until(
            lambda: finds_person(places[0].url, "arduino", "Léa Dubois"),
            within=60,
            what="Florac's shared profile in Mende's skills search",
        )
        await wait_until(
            lambda: places_described(places[0].url, {p.address[2] for p in places}),
            within=60,
            what="the three places with their towns in Mende's directory",
        )
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(60):
            rest = (await process.stdout.read()).decode()
            assert await process.wait() == 0, rest
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    for place in demo_places(base_port):
        assert not (folder / place.slug / "postgres" / "postmaster.pid").exists()
