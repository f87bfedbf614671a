"""Public pages under load: the place's home page (/) and the agenda page (/agenda).

    python -m bench.pages [--clients 50] [--requests 10000] [--rendered 1000] [--events 2000]

Starts one node in a child process (embedded PostgreSQL or DATABASE_URL), loads `--events`
events of 350 neighbouring places into its database, then lets `--clients` concurrent clients
fetch the two pages in turn until `--requests` pages were served, each client waiting for its
answer before asking again; then `--rendered` more as someone's own pages, which the one-second
page cache (server/web/page_cache.py) never serves, to show the cost of rendering each one.
Prints p50 and p99 per page and the node's resident memory before and after (the idle_memory
benchmark's reading). Target: p99 under 50 ms for both pages, as visitors get them.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    CpuMeter,
    NodeOptions,
    NodeProcess,
    bench_database,
    common_arguments,
    create_node_in,
    describe_cpu,
    free_port,
    percentile,
    rounded,
    run_bounded,
    say,
    top_functions,
)
from bench.idle_memory import SETTLE_SECONDS, load_events, prepare, resident_mb, wait_ready

TARGET_P99_MS = 50.0
PAGES = ("/", "/agenda")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument(
        "--rendered", type=int, default=1000, help="pages rendered each time (no page cache)"
    )
    parser.add_argument("--events", type=int, default=2000)
    common_arguments(parser)
    return parser.parse_args()


# A cookie that makes a page someone's own, so the page cache is bypassed: every page rendered.
UNCACHED = {"Cookie": "maillage_flash=none"}


async def load(
    port: int, clients: int, total: int, headers: dict[str, str] | None = None
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {page: [] for page in PAGES}
    statuses: dict[int, int] = {}
    counter = iter(range(total))
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            for index in counter:
                page = PAGES[index % len(PAGES)]
                started = time.perf_counter()
                url = f"http://127.0.0.1:{port}{page}"
                async with session.get(url, headers=headers) as response:
                    await response.read()
                timings[page].append((time.perf_counter() - started) * 1000)
                statuses[response.status] = statuses.get(response.status, 0) + 1

        await asyncio.gather(*(client() for _ in range(clients)))
    if set(statuses) != {200}:
        raise RuntimeError(f"unexpected statuses: {statuses}")
    return timings


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
                    crypto_seconds=0.1,
                    log_path=str(folder / "node.log"),
                    log_level="warning",
                    profile_path=str(folder / "node.prof") if arguments.profile else None,
                )
            )
            await node.start()
            try:
                await wait_ready(port)
                await load_events(database.dsn, arguments.events)
                await asyncio.sleep(SETTLE_SECONDS)
                idle = resident_mb(node.pid)
                say(f"idle: {idle:.1f} MB")
                await load(port, arguments.clients, 100)  # warm: templates compiled, pools open
                meter = CpuMeter([node.pid], database.pgdata)
                if arguments.profile:
                    node.start_profile()
                meter.start()
                started = time.perf_counter()
                timings = await load(port, arguments.clients, arguments.requests)
                elapsed = time.perf_counter() - started
                usage = meter.stop()
                rendered_started = time.perf_counter()
                rendered = await load(port, arguments.clients, arguments.rendered, UNCACHED)
                rendered_elapsed = time.perf_counter() - rendered_started
                await asyncio.sleep(SETTLE_SECONDS)
                after = resident_mb(node.pid)
            finally:
                await node.stop()
            if arguments.profile:
                say(top_functions(str(folder / "node.prof")))
    figures: dict[str, Any] = {"benchmark": "pages", "clients": arguments.clients}
    for page, values in timings.items():
        key = "home" if page == "/" else "agenda"
        figures[f"{key}_p50_ms"] = rounded(percentile(values, 0.5), 2)
        figures[f"{key}_p99_ms"] = rounded(percentile(values, 0.99), 2)
        say(
            f"{page}: {len(values)} pages, p50 {figures[f'{key}_p50_ms']} ms, "
            f"p99 {figures[f'{key}_p99_ms']} ms"
        )
    say(f"{arguments.requests / elapsed:.0f} pages/s; {describe_cpu(usage)}")
    for page, values in rendered.items():
        key = "home" if page == "/" else "agenda"
        figures[f"{key}_rendered_p99_ms"] = rounded(percentile(values, 0.99), 2)
        say(
            f"{page} rendered every time (no page cache): p50 "
            f"{rounded(percentile(values, 0.5), 2)} ms, p99 {figures[f'{key}_rendered_p99_ms']} ms"
        )
    say(f"rendered every time: {arguments.rendered / rendered_elapsed:.0f} pages/s")
    say(f"resident memory: {idle:.1f} MB idle, {after:.1f} MB after the load")
    figures |= {
        "pages_per_s": rounded(arguments.requests / elapsed),
        "idle_mb": rounded(idle),
        "after_mb": rounded(after),
        "target_p99_ms": TARGET_P99_MS,
        "meets_target": max(figures["home_p99_ms"], figures["agenda_p99_ms"]) < TARGET_P99_MS,
    }
    return figures


def main() -> None:
    arguments = parse_arguments()
    raise SystemExit(asyncio.run(run_bounded(lambda: run(arguments), arguments.time_limit)))


if __name__ == "__main__":
    main()
