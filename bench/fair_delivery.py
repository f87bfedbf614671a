"""Fair delivery: what one slow follower costs the fast ones.

    python -m bench.fair_delivery [--events 150] [--fast 12] [--slow-seconds 2]

One node runs in a child process (as in bench.fanout), its place followed by `--fast` followers,
each on its own host, whose inbox answers 202 at once. A phase publishes `--events` notes and
measures the deliveries per second until every fast follower has every note. Phases alternate,
`--rounds` times: without the slow follower (nothing queued or held for it), then with one more
follower whose inbox answers 202 only after `--slow-seconds` (healthy, but slow), not waiting for
the slow one. Alternating spreads the load of a shared machine over both kinds of phase; a first,
unmeasured phase warms the node's connections and caches. It prints the median rates and their
ratio; the target is a ratio of at least 0.8 (issue 13).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from bench.common import (
    BenchDatabase,
    NodeOptions,
    NodeProcess,
    bench_database,
    common_arguments,
    create_node_in,
    free_port,
    rounded,
    run_bounded,
    say,
    serving,
    tail_problems,
)
from bench.fanout import Follower, insert_followers, note_activity
from server.processing.publish import publish
from server.urls import NodeUrls

TARGET_RATIO = 0.8
PHASE_DEADLINE = 120.0


@dataclass
class Inboxes:
    """Every follower's inbox, told apart by the Host header; the slow host sleeps first."""

    slow_host: str
    slow_seconds: float
    received: Counter[str] = field(default_factory=Counter)
    fast_total: int = 0
    fast_done: asyncio.Event = field(default_factory=asyncio.Event)
    fast_expected: int = 0
    slow_holding: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        if request.host == self.slow_host:
            self.slow_holding += 1
            await asyncio.sleep(self.slow_seconds)  # the simulated slow peer
            self.slow_holding -= 1
            self.received[request.host] += 1
            return web.Response(status=202)
        self.received[request.host] += 1
        self.fast_total += 1
        if self.fast_total >= self.fast_expected:
            self.fast_done.set()
        return web.Response(status=202)

    def expect_fast(self, count: int) -> None:
        self.fast_total = 0
        self.fast_expected = count
        self.fast_done = asyncio.Event()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fair_delivery", description=__doc__)
    parser.add_argument("--events", type=int, default=100, help="notes published per phase")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of phases, alternated")
    parser.add_argument("--warmup", type=int, default=30, help="notes published unmeasured")
    parser.add_argument("--fast", type=int, default=12, help="fast followers, one per host")
    parser.add_argument("--slow-seconds", type=float, default=2.0, help="the slow one's delay")
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
    node_port, inbox_port = free_port(), free_port()
    domain = f"bench.test:{node_port}"
    urls = NodeUrls(f"http://{domain}")
    await create_node_in(database.dsn, domain)
    fast = [
        Follower(
            f"http://f{n:02d}.test:{inbox_port}/users/m", f"http://f{n:02d}.test:{inbox_port}/inbox"
        )
        for n in range(1, arguments.fast + 1)
    ]
    slow = Follower(
        f"http://slow.test:{inbox_port}/users/m", f"http://slow.test:{inbox_port}/inbox"
    )
    await insert_followers(database.dsn, urls.actor("place"), fast)
    inboxes = Inboxes(slow.host, arguments.slow_seconds)
    app = web.Application()
    app.router.add_post("/inbox", inboxes.handle)
    node = NodeProcess(
        NodeOptions(
            data_dir=str(workdir / "node"),
            port=node_port,
            settings={
                "domain": domain,
                "place_name": "Bench",
                "database_url": database.dsn,
                "development": True,
                "dev_hosts": {f.host.split(":")[0]: "127.0.0.1" for f in [*fast, slow]},
            },
            crypto_seconds=arguments.crypto_seconds,
            log_path=str(workdir / "node.log"),
            log_level=arguments.log_level,
            profile_path=None,
        )
    )
    async with serving(app, [inbox_port]):
        await node.start()
        say(f"node {domain} running as pid {node.pid}")
        try:
            await phase(database, urls, inboxes, arguments.warmup, arguments.fast, "warm-up")
            await insert_followers(database.dsn, urls.actor("place"), [slow])
            alone_rates, beside_rates = [], []
            for number in range(1, arguments.rounds + 1):
                await slow_follows(database.dsn, slow, False, inboxes)
                alone_rates.append(
                    await phase(
                        database, urls, inboxes, arguments.events, arguments.fast,
                        f"round {number}, without the slow one",
                    )
                )  # fmt: skip
                await slow_follows(database.dsn, slow, True, inboxes)
                beside_rates.append(
                    await phase(
                        database, urls, inboxes, arguments.events, arguments.fast,
                        f"round {number}, with the slow one",
                    )
                )  # fmt: skip
        finally:
            await node.stop()
    for line in tail_problems(node.options.log_path):
        say(f"  node log: {line[:300]}")
    alone = median_or_none(alone_rates)
    beside = median_or_none(beside_rates)
    ratio = rounded(beside / alone, 3) if alone and beside else None
    met = ratio is not None and ratio >= TARGET_RATIO
    say(
        f"median rates {alone}/s without, {beside}/s beside the slow follower: ratio {ratio} "
        f"(target at least {TARGET_RATIO}: {'met' if met else 'NOT met'})"
    )
    return {
        "benchmark": "fair_delivery",
        "events": arguments.events,
        "fast_followers": arguments.fast,
        "slow_seconds": arguments.slow_seconds,
        "cores": os.cpu_count(),
        "database": "DATABASE_URL" if database.pgdata is None else "embedded",
        "rounds": arguments.rounds,
        "fast_per_second_alone": alone_rates,
        "fast_per_second_beside_slow": beside_rates,
        "median_alone": alone,
        "median_beside_slow": beside,
        "ratio": ratio,
        "slow_received": inboxes.received[slow.host],
        "target_ratio": TARGET_RATIO,
        "meets_target": met,
    }


def median_or_none(rates: list[float | None]) -> float | None:
    measured = [rate for rate in rates if rate is not None]
    return statistics.median(measured) if len(measured) == len(rates) else None


async def slow_follows(dsn: str, slow: Follower, follows: bool, inboxes: Inboxes) -> None:
    """Make the slow follower follow or not; when not, drop what is still queued for it and
    wait until it answered what it holds, so that it costs nothing to the phase without it."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "UPDATE follows SET state = $2 WHERE follower = $1",
            slow.uri,
            "accepted" if follows else "rejected",
        )
        if not follows:
            await connection.execute(
                "UPDATE deliveries SET state = 'failed', finished_at = now() "
                "WHERE host = $1 AND state = 'pending'",
                slow.host,
            )
    finally:
        await connection.close()
    for _ in range(int(PHASE_DEADLINE * 10)):
        if follows or not inboxes.slow_holding:
            return
        await asyncio.sleep(0.1)  # polling the simulated peer, not the node


async def phase(
    database: BenchDatabase,
    urls: NodeUrls,
    inboxes: Inboxes,
    events: int,
    fast: int,
    label: str,
) -> float | None:
    """Publish the notes; deliveries per second until the fast followers have them all."""
    expected = events * fast
    inboxes.expect_fast(expected)
    connection = await asyncpg.connect(database.dsn)
    try:
        started = time.perf_counter()
        for number in range(events):
            await publish(connection, urls, "place", note_activity(urls, number), to_followers=True)
        try:
            await asyncio.wait_for(inboxes.fast_done.wait(), PHASE_DEADLINE)
        except TimeoutError:
            say(f"{label}: only {inboxes.fast_total}/{expected} within {PHASE_DEADLINE:g} s")
            return None
        seconds = time.perf_counter() - started
    finally:
        await connection.close()
    rate = rounded(expected / seconds, 1)
    say(f"{label}: {expected} deliveries to the fast followers in {seconds:.2f} s, {rate}/s")
    return rate


def main() -> int:
    arguments = parse_arguments()
    return asyncio.run(run_bounded(lambda: run(arguments), arguments.time_limit))


if __name__ == "__main__":
    raise SystemExit(main())
