"""Inbox ingestion: how many signed Create{Note} a node accepts (202) and processes per second.

    python -m bench.inbox_ingest [--count 3000] [--actors 200] [--hosts 20] [--concurrency 64]

One node runs in a child process on a loopback port with its own database (embedded PostgreSQL
in a temporary folder, or a fresh database on DATABASE_URL's server). Remote actors live on
`a1.test` ... `aN.test`, all served by one aiohttp server of this process on one port (the node
maps the names to 127.0.0.1 through `dev_hosts`; the Host header tells the server which actor
is asked for). Activities are signed in advance (draft-cavage rsa-sha256, as Mastodon does) and
POSTed to the shared inbox with bounded concurrency.

Two phases: *cold*, one activity per actor, so every request makes the node fetch an unknown
key; then *warm*, `--count` activities spread over the same actors, whose keys are now stored.
A phase is processed when every row of inbox_activities has left the 'pending' state.

`--web-processes N` runs the node as DESIGN.md scales it out: N web processes on one database,
the first also running the workers, the others started with `run_workers = false`, and the
posts spread over them round-robin, as a reverse proxy would. "node" CPU is then their sum.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.common import (
    ACTIVITY_JSON,
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
from federation.keys import generate_rsa_key, public_key_to_pem
from federation.signatures import Scheme, signed_request_headers

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
TARGET_PER_SECOND = 1000.0
POLL_SECONDS = 0.02
PROCESSING_DEADLINE = 60.0


@dataclass(frozen=True)
class SimulatedActor:
    uri: str
    key_id: str
    key: rsa.RSAPrivateKey
    document: bytes


@dataclass(frozen=True)
class SignedPost:
    body: bytes
    headers: dict[str, str]


@dataclass
class PhaseResult:
    statuses: Counter[int]
    latencies: list[float]
    send_seconds: float
    processed_seconds: float | None
    cpu: dict[str, float | None]
    failed_rows: int


# --- Simulated remote actors -------------------------------------------------------------------


def build_actors(count: int, hosts: int, port: int) -> list[SimulatedActor]:
    """`count` actors spread round-robin over `hosts` host names.

    Actors of one host share one RSA key (each under its own key id, so the node still fetches
    and stores one key per actor): generating 2048-bit keys costs about 40 ms each, and sharing
    changes nothing for the node, which verifies every signature with the key of its key id.
    """
    keys = [generate_rsa_key() for _ in range(hosts)]
    made: list[SimulatedActor] = []
    for index in range(count):
        host = index % hosts
        origin = f"http://a{host + 1}.test:{port}"
        uri = f"{origin}/users/u{index}"
        key_id = f"{uri}#main-key"
        document = actor_document(origin, uri, key_id, public_key_to_pem(keys[host]))
        made.append(SimulatedActor(uri, key_id, keys[host], json.dumps(document).encode()))
    return made


def actor_document(origin: str, uri: str, key_id: str, pem: str) -> dict[str, Any]:
    """A Mastodon-like Person: inbox on its own origin, publicKey owned by the actor."""
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": uri.rsplit("/", 1)[1],
        "name": "Simulated member",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        "endpoints": {"sharedInbox": f"{origin}/inbox"},
        "publicKey": {"id": key_id, "owner": uri, "publicKeyPem": pem},
    }


def actor_server(actors: Sequence[SimulatedActor], fetches: Counter[str]) -> web.Application:
    """Answers GET of each actor document, found by Host header and path."""
    documents = {_host_and_path(actor.uri): actor.document for actor in actors}

    async def document(request: web.Request) -> web.Response:
        body = documents.get((request.host, request.path))
        fetches["found" if body is not None else "missing"] += 1
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type=ACTIVITY_JSON)

    app = web.Application()
    app.router.add_get("/users/{name}", document)
    return app


def _host_and_path(uri: str) -> tuple[str, str]:
    rest = uri.split("://", 1)[1]
    host, path = rest.split("/", 1)
    return host, "/" + path


# --- Activities --------------------------------------------------------------------------------


def create_note(actor: SimulatedActor, sequence: int) -> bytes:
    """A Create{Note} of about 900 bytes, shaped like Mastodon's."""
    published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    note = {
        "id": f"{actor.uri}/statuses/{sequence}",
        "type": "Note",
        "attributedTo": actor.uri,
        "content": f"<p>Atelier réparation de vélos, jeudi 18 h, message {sequence}.</p>",
        "published": published,
        "to": [PUBLIC],
        "cc": [f"{actor.uri}/followers"],
        "url": f"{actor.uri}/statuses/{sequence}",
        "sensitive": False,
        "tag": [],
    }
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.uri}/statuses/{sequence}/activity",
        "type": "Create",
        "actor": actor.uri,
        "published": published,
        "to": [PUBLIC],
        "cc": [f"{actor.uri}/followers"],
        "object": note,
    }
    return json.dumps(activity).encode()


def sign_posts(
    actors: Sequence[SimulatedActor], count: int, first_sequence: int, inbox_url: str
) -> list[SignedPost]:
    """`count` signed POSTs, actors taken round-robin. Signed now, sent within the minute:
    well inside the node's one-hour window."""
    posts: list[SignedPost] = []
    for offset in range(count):
        actor = actors[offset % len(actors)]
        body = create_note(actor, first_sequence + offset)
        headers = signed_request_headers(
            Scheme.CAVAGE,
            "POST",
            inbox_url,
            body,
            key=actor.key,
            key_id=actor.key_id,
            headers={"Content-Type": ACTIVITY_JSON},
        )
        posts.append(SignedPost(body, {"Content-Type": ACTIVITY_JSON, **headers}))
    return posts


# --- Sending and waiting -----------------------------------------------------------------------


async def post_all(
    session: aiohttp.ClientSession,
    targets: Sequence[str],
    posts: Sequence[SignedPost],
    concurrency: int,
) -> tuple[Counter[int], list[float], float]:
    """POST everything with at most `concurrency` requests in flight, round-robin over the
    targets: statuses, latencies, time.

    The Host header of each post is the node's public domain (signed), while the connection
    goes to 127.0.0.1.
    """
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    limit = asyncio.Semaphore(concurrency)

    async def one(number: int, post: SignedPost) -> None:
        target = targets[number % len(targets)]
        async with limit:
            started = time.perf_counter()
            async with session.post(target, data=post.body, headers=post.headers) as response:
                await response.read()
                statuses[response.status] += 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(number, post) for number, post in enumerate(posts)))
    return statuses, latencies, time.perf_counter() - started


async def wait_processed(
    connection: asyncpg.Connection, expected: int, deadline: float
) -> tuple[float | None, int]:
    """Poll until `expected` rows left 'pending': (monotonic time reached or None, failed rows)."""
    give_up_at = time.perf_counter() + deadline
    while True:
        row = await connection.fetchrow(
            "SELECT count(*) FILTER (WHERE state <> 'pending') AS finished, "
            "count(*) FILTER (WHERE state = 'failed') AS failed FROM inbox_activities"
        )
        assert row is not None
        if row["finished"] >= expected:
            return time.perf_counter(), int(row["failed"])
        if time.perf_counter() > give_up_at:
            return None, int(row["failed"])
        await asyncio.sleep(POLL_SECONDS)


async def run_phase(
    session: aiohttp.ClientSession,
    connection: asyncpg.Connection,
    meter: CpuMeter,
    posts: Sequence[SignedPost],
    targets: Sequence[str],
    concurrency: int,
    expected_rows: int,
) -> PhaseResult:
    meter.start()
    started = time.perf_counter()
    statuses, latencies, send_seconds = await post_all(session, targets, posts, concurrency)
    finished_at, failed = await wait_processed(connection, expected_rows, PROCESSING_DEADLINE)
    cpu = meter.stop()
    processed = None if finished_at is None else finished_at - started
    return PhaseResult(statuses, latencies, send_seconds, processed, cpu, failed)


def phase_figures(result: PhaseResult, count: int) -> dict[str, Any]:
    accepted = result.statuses.get(202, 0)
    processed = result.processed_seconds
    return {
        "activities": count,
        "accepted": accepted,
        "other_statuses": {str(s): n for s, n in result.statuses.items() if s != 202},
        "accepted_per_s": rounded(accepted / result.send_seconds),
        "processed_per_s": None if processed is None else rounded(accepted / processed),
        "send_seconds": rounded(result.send_seconds, 3),
        "processed_seconds": None if processed is None else rounded(processed, 3),
        "latency_ms_p50": rounded(1000 * percentile(result.latencies, 0.50), 2),
        "latency_ms_p99": rounded(1000 * percentile(result.latencies, 0.99), 2),
        "latency_ms_max": rounded(1000 * max(result.latencies, default=0.0), 2),
        "failed_rows": result.failed_rows,
        "cpu_percent": result.cpu,
    }


def describe_phase(name: str, figures: dict[str, Any]) -> None:
    processed = figures["processed_per_s"]
    say(
        f"{name}: {figures['accepted']}/{figures['activities']} accepted in "
        f"{figures['send_seconds']} s = {figures['accepted_per_s']}/s accepted; "
        + (
            f"all processed after {figures['processed_seconds']} s = {processed}/s end to end"
            if processed is not None
            else f"NOT all processed within {PROCESSING_DEADLINE:g} s"
        )
    )
    say(
        f"  POST latency p50 {figures['latency_ms_p50']} ms, p99 {figures['latency_ms_p99']} ms, "
        f"max {figures['latency_ms_max']} ms; other statuses {figures['other_statuses']}; "
        f"failed rows {figures['failed_rows']}"
    )
    say(f"  {describe_cpu(figures['cpu_percent'])}")


# --- The run -----------------------------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.inbox_ingest", description=__doc__)
    parser.add_argument("--count", type=int, default=3000, help="activities in the warm phase")
    parser.add_argument("--actors", type=int, default=200, help="simulated remote actors")
    parser.add_argument("--hosts", type=int, default=20, help="host names they are spread over")
    parser.add_argument("--concurrency", type=int, default=64, help="POSTs in flight")
    parser.add_argument(
        "--web-processes", type=int, default=1, help="node processes sharing the database"
    )
    parser.add_argument(
        "--policies",
        type=int,
        default=0,
        help="domain policies in place (suspend and limit, none on the actors' hosts), so that "
        "every request pays the moderation check",
    )
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
    ports = [free_port() for _ in range(max(1, arguments.web_processes))]
    actor_port = free_port()
    domain = f"bench.test:{ports[0]}"
    await create_node_in(database.dsn, domain)
    if arguments.policies:
        await add_policies(database.dsn, arguments.policies)
    say(f"generating {arguments.hosts} RSA keys for {arguments.actors} actors...")
    actors = build_actors(arguments.actors, arguments.hosts, actor_port)
    fetches: Counter[str] = Counter()
    nodes = [
        NodeProcess(node_options(arguments, workdir, database, port, domain, index))
        for index, port in enumerate(ports)
    ]
    async with serving(actor_server(actors, fetches), [actor_port]):
        rates: dict[str, float] = {}
        try:
            for node in nodes:
                rates = await node.start()
                say(f"node {domain} process {node.pid} listening on port {node.options.port}")
            say(describe_rates(rates))
            figures = await drive(arguments, nodes, database, actors, ports, domain)
        finally:
            for node in nodes:
                await node.stop()
    for node in nodes:
        for line in tail_problems(node.options.log_path):
            say(f"  node log: {line[:300]}")
    figures |= {"actor_document_fetches": dict(fetches), "rsa": rates}
    if arguments.profile and nodes[0].options.profile_path:
        say(top_functions(nodes[0].options.profile_path))
    return figures


async def add_policies(dsn: str, count: int) -> None:
    """`count` domain policies on other domains than the actors', half of them on subdomains:
    each request is checked against them all (and accepted)."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.executemany(
            "INSERT INTO domain_policies (domain, severity) VALUES ($1, $2)",
            [
                (f"{'spam.' if number % 2 else ''}blocked{number}.example", severity)
                for number in range(count)
                for severity in (("suspend", "limit")[number % 2],)
            ],
        )
    finally:
        await connection.close()
    say(f"{count} domain policies in place")


def node_options(
    arguments: argparse.Namespace,
    workdir: Path,
    database: BenchDatabase,
    port: int,
    domain: str,
    index: int = 0,
) -> NodeOptions:
    hosts = {f"a{index + 1}.test": "127.0.0.1" for index in range(arguments.hosts)}
    return NodeOptions(
        data_dir=str(workdir / f"node{index}"),
        port=port,
        settings={
            "domain": domain,
            "place_name": "Bench",
            "database_url": database.dsn,
            "development": True,
            "dev_hosts": hosts,
            # The benchmark measures the node's capacity, not the inbox rate limiter (whose
            # defaults allow 20/s per origin and 16 requests in flight per address): every post
            # comes from one address, and each simulated host sends hundreds per second.
            "inbox_origin_rate_per_second": 1_000_000.0,
            "inbox_origin_burst": 1_000_000,
            "inbox_client_rate_per_second": 1_000_000.0,
            "inbox_client_burst": 1_000_000,
            "inbox_max_in_flight_per_client": max(16, 2 * arguments.concurrency),
            "run_workers": index == 0,
        },
        crypto_seconds=arguments.crypto_seconds,
        log_path=str(workdir / f"node{index}.log"),
        log_level=arguments.log_level,
        profile_path=str(workdir / "node.prof") if arguments.profile and index == 0 else None,
    )


async def drive(
    arguments: argparse.Namespace,
    nodes: Sequence[NodeProcess],
    database: BenchDatabase,
    actors: Sequence[SimulatedActor],
    ports: Sequence[int],
    domain: str,
) -> dict[str, Any]:
    inbox_url = f"http://{domain}/inbox"
    targets = [f"http://127.0.0.1:{port}/inbox" for port in ports]
    meter = CpuMeter([node.pid for node in nodes], database.pgdata)
    connector = aiohttp.TCPConnector(limit=arguments.concurrency)
    connection = await asyncpg.connect(database.dsn)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            cold_posts = sign_posts(actors, len(actors), 0, inbox_url)
            say(f"cold phase: {len(cold_posts)} activities, one per actor (keys unknown)...")
            cold = await run_phase(
                session, connection, meter, cold_posts, targets, arguments.concurrency,
                len(cold_posts),
            )  # fmt: skip
            cold_figures = phase_figures(cold, len(cold_posts))
            describe_phase("cold", cold_figures)
            say(f"signing {arguments.count} activities for the warm phase...")
            warm_posts = sign_posts(actors, arguments.count, len(cold_posts), inbox_url)
            if arguments.profile:
                nodes[0].start_profile()
            say(f"warm phase: {arguments.count} activities (keys stored)...")
            warm = await run_phase(
                session, connection, meter, warm_posts, targets, arguments.concurrency,
                len(cold_posts) + len(warm_posts),
            )  # fmt: skip
            warm_figures = phase_figures(warm, len(warm_posts))
            describe_phase("warm", warm_figures)
    finally:
        await connection.close()
    return summary(arguments, database, cold_figures, warm_figures)


def summary(
    arguments: argparse.Namespace,
    database: BenchDatabase,
    cold: dict[str, Any],
    warm: dict[str, Any],
) -> dict[str, Any]:
    end_to_end = warm["processed_per_s"] or 0.0
    say(
        f"warm end to end: {end_to_end}/s against a target of {TARGET_PER_SECOND:g}/s "
        f"({'met' if end_to_end >= TARGET_PER_SECOND else 'NOT met'})"
    )
    return {
        "benchmark": "inbox_ingest",
        "actors": arguments.actors,
        "hosts": arguments.hosts,
        "concurrency": arguments.concurrency,
        "web_processes": arguments.web_processes,
        "database": "DATABASE_URL" if database.pgdata is None else "embedded",
        "cores": os.cpu_count(),
        "profiled": bool(arguments.profile),
        "cold": cold,
        "warm": warm,
        "target_per_s": TARGET_PER_SECOND,
        "meets_target": end_to_end >= TARGET_PER_SECOND,
    }


def main() -> int:
    arguments = parse_arguments()
    return asyncio.run(run_bounded(lambda: run(arguments), arguments.time_limit))


if __name__ == "__main__":
    raise SystemExit(main())
