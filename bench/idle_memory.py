"""Idle memory: resident memory of one node process, and of its embedded PostgreSQL apart.

    python -m bench.idle_memory [--events 20000] [--queries 500]

Starts one node in a child process on the embedded PostgreSQL (or DATABASE_URL), waits for it
to settle, and reads its resident set size (VmRSS) after start-up; then loads `--events` events
from 350 places straight into its database, runs `--queries` typical agenda queries through its
REST API (the agenda benchmark's kinds: near a point with a tag, free text, happening now), lets
it settle again and reads the resident size once more. The node's figure is its own resident set
(VmRSS); the embedded PostgreSQL's is the proportional set size (Pss, shared pages divided between
the processes sharing them) summed over the postmaster and its children, read at the same moments
(not measured on an external server: DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
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
    rounded,
    run_bounded,
    say,
)

TARGET_IDLE_MB = 80.0
SETTLE_SECONDS = 3.0
TAGS = ("repair", "fablab", "numerique", "jardin", "coworking", "musique")
QUERIES = (
    "/api/v1/agenda?latitude=44.52&longitude=3.50&km=50&tag=fablab",
    "/api/v1/agenda?q=atelier",
    "/api/v1/agenda?now=true",
)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=500)
    common_arguments(parser)
    return parser.parse_args()


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS for the node process")


def postgres_mb(pgdata: Path | None) -> float | None:
    """Pss of the embedded PostgreSQL: its postmaster (first line of postmaster.pid) and the
    processes it started."""
    if pgdata is None:
        return None
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            parent = next(ln for ln in status.splitlines() if ln.startswith("PPid:"))
            if int(entry.name) != postmaster and int(parent.split()[1]) != postmaster:
                continue
            rollup = (entry / "smaps_rollup").read_text()
        except (OSError, StopIteration):
            continue  # a backend that ended meanwhile
        pss = next(ln for ln in rollup.splitlines() if ln.startswith("Pss:"))
        total_kb += int(pss.split()[1])
    return total_kb / 1024


def event_rows(count: int, origin: str) -> list[tuple[Any, ...]]:
    """Remote events spread over 350 places in Lozère and around, over the next year."""
    rng = random.Random(5)
    now = datetime.now(UTC)
    rows = []
    for index in range(count):
        place = index % 350
        start = now + timedelta(hours=rng.uniform(-48, 24 * 365))
        latitude, longitude = 44.0 + rng.uniform(-1.5, 1.5), 3.5 + rng.uniform(-1.5, 1.5)
        location = json.dumps(
            [
                {
                    "type": "Place",
                    "name": f"Lieu {place}",
                    "latitude": latitude,
                    "longitude": longitude,
                }
            ]
        )
        rows.append(
            (
                f"{origin}/p{place}/events/{index}",
                False,
                f"{origin}/p{place}/actor",
                f"{origin}/p{place}/actor",
                f"Atelier {index}",
                "<p>Un atelier du réseau</p>",
                start,
                start + timedelta(hours=2),
                "Europe/Paris",
                location,
                [rng.choice(TAGS), rng.choice(TAGS)],
            )
        )
    return rows


async def load_events(dsn: str, count: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "events",
            records=event_rows(count, "https://network.example"),
            columns=[
                "ap_id", "local", "actor_uri", "attributed_to", "name", "content",
                "start_time", "end_time", "timezone", "location", "tags",
            ],
        )  # fmt: skip
        await connection.execute("ANALYZE events")
    finally:
        await connection.close()


async def run_queries(port: int, count: int) -> dict[str, int]:
    statuses: dict[str, int] = {}
    async with aiohttp.ClientSession() as session:
        for index in range(count):
            path = QUERIES[index % len(QUERIES)]
            async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                await response.read()
                key = str(response.status)
                statuses[key] = statuses.get(key, 0) + 1
    return statuses


async def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the node did not become ready")


def prepare(folder: Path) -> None:
    folder.chmod(0o711)  # the embedded PostgreSQL's user must be able to enter it
    (folder / "db").mkdir()


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as name:
        folder = Path(name)
        await asyncio.to_thread(prepare, folder)
        async with bench_database(folder / "db") as database:
            port = free_port()
            await create_node_in(database.dsn, f"bench.test:{port}")
            node = NodeProcess(
                NodeOptions(
                    data_dir=str(folder / "node"),
                    port=port,
                    settings={
                        "domain": f"bench.test:{port}",
                        "place_name": "Bench",
                        "database_url": database.dsn,
                        "development": True,
                    },
                    crypto_seconds=0,
                    log_path=str(folder / "node.log"),
                    log_level="warning",
                    profile_path=None,
                )
            )
            await node.start()
            try:
                await wait_ready(port)
                await asyncio.sleep(SETTLE_SECONDS)  # a benchmark, not a test: let it go idle
                idle = resident_mb(node.pid)
                idle_postgres = postgres_mb(database.pgdata)
                say(f"idle after start-up: node {idle:.1f} MB, PostgreSQL {idle_postgres} MB")
                await load_events(database.dsn, arguments.events)
                started = time.perf_counter()
                statuses = await run_queries(port, arguments.queries)
                elapsed = time.perf_counter() - started
                await asyncio.sleep(SETTLE_SECONDS)
                after = resident_mb(node.pid)
                after_postgres = postgres_mb(database.pgdata)
                say(
                    f"after {arguments.queries} agenda queries: node {after:.1f} MB, "
                    f"PostgreSQL {after_postgres} MB ({statuses})"
                )
            finally:
                await node.stop()
    return {
        "benchmark": "idle_memory",
        "idle_mb": rounded(idle),
        "after_agenda_mb": rounded(after),
        "postgres_idle_mb": None if idle_postgres is None else rounded(idle_postgres),
        "postgres_after_agenda_mb": None if after_postgres is None else rounded(after_postgres),
        "events": arguments.events,
        "queries": arguments.queries,
        "query_statuses": statuses,
        "queries_per_s": rounded(arguments.queries / elapsed),
        "target_idle_mb": TARGET_IDLE_MB,
        "meets_target": idle < TARGET_IDLE_MB,
    }


def main() -> None:
    arguments = parse_arguments()
    raise SystemExit(asyncio.run(run_bounded(lambda: run(arguments), arguments.time_limit)))


if __name__ == "__main__":
    main()
