"""Fan-out: seconds until one published Create{Note} reached the inboxes of 1,000 followers.

    python -m bench.fanout [--followers 1000] [--ports 4] [--rounds 3]

One node runs in a child process on a loopback port with its own database (embedded PostgreSQL
in a temporary folder, or a fresh database on DATABASE_URL's server). Its place has `--followers`
accepted remote followers, each on its own host (`f0001.test` ... mapped to 127.0.0.1 through
`dev_hosts`), inserted straight into the database instead of 1,000 Follow handshakes. Their
inboxes are served by one aiohttp application of this process listening on `--ports` ports;
it answers 202 at once and notes when each host received the activity. Each round publishes one
note with `server.processing.publish.publish(..., to_followers=True)`, as the API does, and
measures from just before the publishing transaction until the last inbox received it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from bench.common import (
    BenchDatabase,
    CpuMeter,
    NodeOptions,
    NodeProcess,
    bench_database,
    common_arguments,
    create_node_in,
    describe_cpu,
    describe_rates,
    free_port,
    percentile,
    rounded,
    run_bounded,
    say,
    serving,
    tail_problems,
    top_functions,
)
from federation.hosts import canonical_host
from federation.signatures import verify_request
from server.processing.publish import PUBLIC, publish
from server.urls import NodeUrls

TARGET_SECONDS = 2.0
ROUND_DEADLINE = 60.0
POLL_SECONDS = 0.02
SAMPLES_KEPT = 5


@dataclass(frozen=True)
class Follower:
    uri: str
    inbox: str

    @property
    def host(self) -> str:
        return canonical_host(self.uri)


@dataclass(frozen=True)
class ReceivedRequest:
    url: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Reception:
    """What the follower inboxes received, per activity id."""

    expected: int
    arrivals: dict[str, dict[str, float]] = field(default_factory=dict)
    complete: dict[str, asyncio.Event] = field(default_factory=dict)
    samples: list[ReceivedRequest] = field(default_factory=list)
    unexpected: int = 0

    def expect(self, activity_id: str) -> asyncio.Event:
        self.arrivals[activity_id] = {}
        self.complete[activity_id] = asyncio.Event()
        return self.complete[activity_id]

    def note(self, activity_id: str, host: str, request: ReceivedRequest) -> None:
        hosts = self.arrivals.get(activity_id)
        if hosts is None:
            self.unexpected += 1
            return
        # A retried delivery must not count twice: the first arrival per host is the one.
        hosts.setdefault(host, time.perf_counter())
        if len(self.samples) < SAMPLES_KEPT:
            self.samples.append(request)
        if len(hosts) >= self.expected:
            self.complete[activity_id].set()


# --- Followers ---------------------------------------------------------------------------------


def make_followers(count: int, ports: Sequence[int]) -> list[Follower]:
    """One follower per host name; hosts are spread over the listening ports round-robin."""
    made: list[Follower] = []
    for index in range(count):
        origin = f"http://f{index + 1:04d}.test:{ports[index % len(ports)]}"
        made.append(Follower(f"{origin}/users/member", f"{origin}/inbox"))
    return made


async def insert_followers(dsn: str, place: str, followers: Sequence[Follower]) -> None:
    """remote_actors rows (with their shared inbox) and accepted follows of the place."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.executemany(
                "INSERT INTO remote_actors (uri, host, kind, preferred_username, inbox, "
                "shared_inbox, followers, document) VALUES ($1, $2, 'Person', 'member', $3, $3, "
                "$4, $5::jsonb)",
                [
                    (f.uri, f.host, f.inbox, f"{f.uri}/followers", json.dumps({"id": f.uri}))
                    for f in followers
                ],
            )
            await connection.executemany(
                "INSERT INTO follows (follower, followed, follow_activity_id, state) "
                "VALUES ($1, $2, $3, 'accepted')",
                [(f.uri, place, f"{f.uri}/follows/1") for f in followers],
            )
    finally:
        await connection.close()


def inbox_server(reception: Reception) -> web.Application:
    """Every follower's shared inbox: answer 202 at once, note the first arrival per host."""

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            activity_id = str(json.loads(body)["id"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400)
        received = ReceivedRequest(
            f"http://{request.host}{request.path_qs}", list(request.headers.items()), body
        )
        reception.note(activity_id, request.host, received)
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/inbox", inbox)
    return app


# --- Rounds ------------------------------------------------------------------------------------


def note_activity(urls: NodeUrls, round_number: int) -> dict[str, Any]:
    place = urls.actor("place")
    note_id = urls.object("notes", f"bench-{round_number}-{time.time_ns()}")
    return {
        "id": f"{note_id}/activity",
        "type": "Create",
        "to": [PUBLIC],
        "cc": [urls.followers("place")],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": place,
            "content": "<p>Repair café samedi 10 h, salle du haut. Venez avec vos objets.</p>",
            "published": datetime.now(UTC).isoformat(timespec="seconds"),
            "to": [PUBLIC],
            "cc": [urls.followers("place")],
        },
    }


async def wait_recorded(connection: asyncpg.Connection, outbox_id: int, deadline: float) -> bool:
    """Poll until the node marked every delivery of the activity done (after the 2xx)."""
    give_up_at = time.perf_counter() + deadline
    while time.perf_counter() < give_up_at:
        pending = await connection.fetchval(
            "SELECT count(*) FROM deliveries WHERE outbox_id = $1 AND state = 'pending'",
            outbox_id,
        )
        if pending == 0:
            return True
        await asyncio.sleep(POLL_SECONDS)
    return False


async def run_round(
    connection: asyncpg.Connection,
    urls: NodeUrls,
    reception: Reception,
    meter: CpuMeter,
    round_number: int,
) -> dict[str, Any]:
    activity = note_activity(urls, round_number)
    complete = reception.expect(activity["id"])
    meter.start()
    started = time.perf_counter()
    async with connection.transaction():
        outbox_id = await publish(connection, urls, "place", activity, to_followers=True)
    committed = time.perf_counter()
    # A round that misses some inboxes still reports how many it reached.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(complete.wait(), ROUND_DEADLINE)
    recorded = await wait_recorded(connection, outbox_id, ROUND_DEADLINE)
    recorded_at = time.perf_counter()
    cpu = meter.stop()
    arrivals = sorted(at - started for at in reception.arrivals[activity["id"]].values())
    return round_figures(reception.expected, arrivals, committed - started, cpu) | {
        "all_recorded_seconds": rounded(recorded_at - started, 3) if recorded else None
    }


def round_figures(
    expected: int, arrivals: list[float], publish_seconds: float, cpu: dict[str, float | None]
) -> dict[str, Any]:
    complete = len(arrivals) >= expected
    return {
        "received": len(arrivals),
        "seconds_to_all": rounded(arrivals[-1], 3) if complete and arrivals else None,
        "seconds_to_p50": rounded(percentile(arrivals, 0.50), 3),
        "seconds_to_p90": rounded(percentile(arrivals, 0.90), 3),
        "seconds_to_first": rounded(arrivals[0], 3) if arrivals else None,
        "publish_commit_ms": rounded(1000 * publish_seconds, 1),
        "deliveries_per_s": rounded(len(arrivals) / arrivals[-1]) if arrivals else 0.0,
        "cpu_percent": cpu,
    }


def describe_round(number: int, figures: dict[str, Any]) -> None:
    to_all = figures["seconds_to_all"]
    say(
        f"round {number}: {figures['received']} inboxes reached; "
        + (f"all after {to_all} s" if to_all is not None else "NOT all reached")
        + f" (first {figures['seconds_to_first']} s, half {figures['seconds_to_p50']} s, "
        f"90% {figures['seconds_to_p90']} s; {figures['deliveries_per_s']} deliveries/s); "
        f"publish committed in {figures['publish_commit_ms']} ms; all rows done after "
        f"{figures['all_recorded_seconds']} s"
    )
    say(f"  {describe_cpu(figures['cpu_percent'])}")


async def check_signatures(
    connection: asyncpg.Connection, samples: Sequence[ReceivedRequest], key_id: str
) -> int:
    """Verify a few received requests as a Mastodon receiver would: the figures only count if
    what arrived was properly signed by the place."""
    pem: str = await connection.fetchval(
        "SELECT public_pem FROM actor_keys WHERE actor_name = 'place' AND algorithm = 'rsa-2048'"
    )
    verified = 0
    for sample in samples:
        result = await verify_request(
            "POST",
            sample.url,
            sample.headers,
            sample.body,
            now=datetime.now(UTC),
            lookup_key=lambda wanted: pem if wanted == key_id else None,
        )
        verified += result.key_id == key_id
    return verified


# --- The run -----------------------------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--followers", type=int, default=1000, help="followers, one per host")
    parser.add_argument("--ports", type=int, default=4, help="ports the follower inboxes use")
    parser.add_argument("--rounds", type=int, default=3, help="notes published, one by one")
    common_arguments(parser)
    return parser.parse_args()


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as folder:
        workdir = Path(folder)
        async with bench_database(workdir) as database:
            return await run_with_database(arguments, workdir, database)


async def run_with_database(
    arguments: argparse.Namespace, workdir: Path, database: BenchDatabase
) -> dict[str, Any]:
    node_port = free_port()
    ports = [free_port() for _ in range(arguments.ports)]
    domain = f"bench.test:{node_port}"
    urls = NodeUrls(f"http://{domain}")
    await create_node_in(database.dsn, domain)
    followers = make_followers(arguments.followers, ports)
    await insert_followers(database.dsn, urls.actor("place"), followers)
    reception = Reception(expected=len(followers))
    node = NodeProcess(node_options(arguments, workdir, database, node_port, domain, followers))
    async with serving(inbox_server(reception), ports):
        rates = await node.start()
        say(f"node {node.options.settings['domain']} running as pid {node.pid}")
        say(describe_rates(rates))
        try:
            figures = await drive(arguments, node, database, urls, reception)
        finally:
            await node.stop()
    for line in tail_problems(node.options.log_path):
        say(f"  node log: {line[:300]}")
    if arguments.profile and node.options.profile_path:
        say(top_functions(node.options.profile_path))
    return figures | {"rsa": rates, "unexpected_posts": reception.unexpected}


def node_options(
    arguments: argparse.Namespace,
    workdir: Path,
    database: BenchDatabase,
    port: int,
    domain: str,
    followers: Sequence[Follower],
) -> NodeOptions:
    hosts = {follower.host.split(":")[0]: "127.0.0.1" for follower in followers}
    return NodeOptions(
        data_dir=str(workdir / "node"),
        port=port,
        settings={
            "domain": domain,
            "place_name": "Bench",
            "database_url": database.dsn,
            "development": True,
            "dev_hosts": hosts,
        },
        crypto_seconds=arguments.crypto_seconds,
        log_path=str(workdir / "node.log"),
        log_level=arguments.log_level,
        profile_path=str(workdir / "node.prof") if arguments.profile else None,
    )


async def drive(
    arguments: argparse.Namespace,
    node: NodeProcess,
    database: BenchDatabase,
    urls: NodeUrls,
    reception: Reception,
) -> dict[str, Any]:
    meter = CpuMeter([node.pid], database.pgdata)
    connection = await asyncpg.connect(database.dsn)
    rounds: list[dict[str, Any]] = []
    try:
        if arguments.profile:
            node.start_profile()
        for number in range(1, arguments.rounds + 1):
            figures = await run_round(connection, urls, reception, meter, number)
            describe_round(number, figures)
            rounds.append(figures)
        verified = await check_signatures(connection, reception.samples, urls.rsa_key_id("place"))
    finally:
        await connection.close()
    say(f"signatures of {verified}/{len(reception.samples)} sampled deliveries verified")
    return summary(arguments, database, rounds, verified)


def summary(
    arguments: argparse.Namespace,
    database: BenchDatabase,
    rounds: list[dict[str, Any]],
    verified: int,
) -> dict[str, Any]:
    times = [r["seconds_to_all"] for r in rounds]
    complete = [t for t in times if t is not None]
    median = rounded(statistics.median(complete), 3) if len(complete) == len(times) else None
    say(
        f"seconds to reach all {arguments.followers} inboxes: "
        + ", ".join("-" if t is None else f"{t}" for t in times)
        + f"; median {median} s against a target of {TARGET_SECONDS:g} s "
        + f"({'met' if median is not None and median < TARGET_SECONDS else 'NOT met'})"
    )
    return {
        "benchmark": "fanout",
        "followers": arguments.followers,
        "listening_ports": arguments.ports,
        "database": "DATABASE_URL" if database.pgdata is None else "embedded",
        "cores": os.cpu_count(),
        "profiled": bool(arguments.profile),
        "rounds": rounds,
        "seconds_to_all_median": median,
        "signatures_verified": verified,
        "target_seconds": TARGET_SECONDS,
        "meets_target": median is not None and median < TARGET_SECONDS,
    }


def main() -> int:
    arguments = parse_arguments()
    return asyncio.run(run_bounded(lambda: run(arguments), arguments.time_limit))


if __name__ == "__main__":
    raise SystemExit(main())
