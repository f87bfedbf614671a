"""Live latency: an event published on one node until it shows on a neighbour's live stream.

    python -m bench.live_latency [--events 50]

Two nodes (mende and florac), each in its own child process with its own database, on loopback
ports under stable names mapped through `dev_hosts`. Florac's place follows mende's (a real
Follow and Accept). The benchmark keeps florac's `/api/v1/stream?kinds=event&scope=network` open
and publishes events one after the other through mende's REST API, as an animateur would; each
latency runs from just before the POST until the event arrives on florac's stream.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.common import (
    NodeOptions,
    NodeProcess,
    bench_database,
    common_arguments,
    create_node_in,
    free_port,
    percentile,
    rounded,
    run_bounded,
    say,
)

TARGET_P50_MS = 100.0
ARRIVAL_DEADLINE = 30.0
ADMIN_PASSWORD = "x" * 16


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50, help="events to publish, one by one")
    common_arguments(parser)
    return parser.parse_args()


def event_body(index: int) -> dict[str, Any]:
    return {
        "name": f"Atelier {index:04d}",
        "content": "<p>Réparer ensemble</p>",
        "start_time": "2027-03-01T18:00:00",
        "end_time": "2027-03-01T20:00:00",
        "timezone": "Europe/Paris",
        "tags": ["repair"],
        "join_mode": "free",
    }


async def wait_ready(session: aiohttp.ClientSession, port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"node on port {port} not ready")


async def log_in(session: aiohttp.ClientSession, port: int) -> str:
    async with session.post(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        json={"username": "admin", "password": ADMIN_PASSWORD},
    ) as response:
        body = await response.json()
        token: str = body["token"]
        return token


async def follow(session: aiohttp.ClientSession, port: int, token: str, target: str) -> None:
    async with session.post(
        f"http://127.0.0.1:{port}/api/v1/neighbours",
        json={"target": target},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        if response.status != 202:
            raise RuntimeError(f"follow failed: {response.status} {await response.text()}")


async def wait_accepted(dsn: str, follower: str, followed: str) -> None:
    deadline = time.monotonic() + 60
    connection = await asyncpg.connect(dsn)
    try:
        while time.monotonic() < deadline:
            state = await connection.fetchval(
                "SELECT state FROM follows WHERE follower = $1 AND followed = $2",
                follower,
                followed,
            )
            if state == "accepted":
                return
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    raise RuntimeError("the follow was not accepted in time")


async def stream_names(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, float]]:
    """(event name, arrival time) for each event frame of an SSE response."""
    data: str | None = None
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("data: "):
            data = line[len("data: ") :]
        elif not line and data is not None:
            yield str(json.loads(data).get("name")), time.perf_counter()
            data = None


async def measure(
    session: aiohttp.ClientSession, mende_port: int, florac_port: int, token: str, count: int
) -> list[float]:
    latencies: list[float] = []
    async with session.get(
        f"http://127.0.0.1:{florac_port}/api/v1/stream?kinds=event&scope=network",
        timeout=aiohttp.ClientTimeout(total=None, sock_read=ARRIVAL_DEADLINE),
    ) as stream:
        arrivals = stream_names(stream)
        for index in range(count):
            body = event_body(index)
            started = time.perf_counter()
            async with session.post(
                f"http://127.0.0.1:{mende_port}/api/v1/events",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                if response.status != 201:
                    raise RuntimeError(f"publish failed: {await response.text()}")
            async with asyncio.timeout(ARRIVAL_DEADLINE):
                async for name, arrived in arrivals:
                    if name == body["name"]:
                        latencies.append((arrived - started) * 1000)
                        break
    return latencies


def node_options(
    workdir: Path, name: str, dsn: str, port: int, hosts: dict[str, str]
) -> NodeOptions:
    return NodeOptions(
        data_dir=str(workdir / name),
        port=port,
        settings={
            "domain": f"{name}.test:{port}",
            "place_name": name.capitalize(),
            "database_url": dsn,
            "development": True,
            "dev_hosts": hosts,
            "worker_poll_seconds": 1.0,
        },
        crypto_seconds=0.1,
        log_path=str(workdir / f"{name}.log"),
        log_level="warning",
        profile_path=None,
    )


def prepare_folders(workdir: Path) -> None:
    workdir.chmod(0o711)  # the embedded PostgreSQL's user must be able to enter it
    (workdir / "m").mkdir()
    (workdir / "f").mkdir()


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as folder:
        workdir = Path(folder)
        await asyncio.to_thread(prepare_folders, workdir)
        async with (
            bench_database(workdir / "m") as mende_db,
            bench_database(workdir / "f") as florac_db,
        ):
            ports = {"mende": free_port(), "florac": free_port()}
            hosts = {"mende.test": "127.0.0.1", "florac.test": "127.0.0.1"}
            await create_node_in(mende_db.dsn, f"mende.test:{ports['mende']}")
            await create_node_in(florac_db.dsn, f"florac.test:{ports['florac']}")
            nodes = [
                NodeProcess(node_options(workdir, "mende", mende_db.dsn, ports["mende"], hosts)),
                NodeProcess(node_options(workdir, "florac", florac_db.dsn, ports["florac"], hosts)),
            ]
            for node in nodes:
                await node.start()
            try:
                async with aiohttp.ClientSession() as session:
                    for port in ports.values():
                        await wait_ready(session, port)
                    florac_token = await log_in(session, ports["florac"])
                    mende_place = f"http://mende.test:{ports['mende']}/actors/place"
                    await follow(session, ports["florac"], florac_token, mende_place)
                    await wait_accepted(
                        florac_db.dsn, f"http://florac.test:{ports['florac']}/actors/place",
                        mende_place,
                    )  # fmt: skip
                    mende_token = await log_in(session, ports["mende"])
                    latencies = await measure(
                        session, ports["mende"], ports["florac"], mende_token, arguments.events
                    )
            finally:
                for node in nodes:
                    await node.stop()
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    say(f"{len(latencies)} events: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p50 < 100 ms)")
    return {
        "benchmark": "live_latency",
        "events": len(latencies),
        "p50_ms": rounded(p50),
        "p99_ms": rounded(p99),
        "max_ms": rounded(max(latencies)),
        "target_p50_ms": TARGET_P50_MS,
        "meets_target": p50 < TARGET_P50_MS,
    }


def main() -> None:
    arguments = parse_arguments()
    raise SystemExit(asyncio.run(run_bounded(lambda: run(arguments), arguments.time_limit)))


if __name__ == "__main__":
    main()
