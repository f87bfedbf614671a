"""Agenda queries on one node's database holding a large network's events.

    python -m bench.agenda_query [--events 1000000] [--places 3500] [--runs 300]

Fills a fresh database (embedded PostgreSQL in a temporary folder, or a new database on
DATABASE_URL's server) with imported events of `--places` places spread over France's bounding
box and over a year, bulk-loaded with COPY (indexes dropped during the load and rebuilt after,
from the migration's own definitions), then measures the latency of typical agenda queries run
through `server.storage.agenda.agenda`, the function behind GET /api/v1/agenda:

- the next 30 days within 50 km of a point, with a tag;
- free text (one word of the vocabulary), from now;
- what is happening now.

Prints figures, then one JSON line. Target: p99 under 20 ms per query.
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

import asyncpg

from bench.common import bench_database, create_node_in, percentile, rounded, run_bounded, say
from server.storage.agenda import AgendaFilter, Near, agenda

SOUTH, NORTH, WEST, EAST = 42.3, 51.1, -4.8, 8.2
TAGS = [
    "fablab", "numerique", "soudure", "couture", "repair", "jardin", "code", "impression3d",
    "emploi", "formation", "musique", "cinema", "lecture", "jeux", "cuisine", "velo",
    "energie", "agriculture", "tourisme", "sante", "enfants", "seniors", "art", "photo",
    "video", "radio", "theatre", "danse", "sport", "eau",
]  # fmt: skip
CATEGORIES = [
    "WORKSHOP", "MEETING", "MARKET", "CONFERENCE", "PARTY", "TRAINING", "EXHIBITION",
    "SPORTS", "MUSIC", "THEATRE", "COMMUNITY", "OTHER",
]  # fmt: skip
WORDS = [
    "atelier", "rencontre", "apero", "soiree", "formation", "debat", "projection", "concert",
    "marche", "visite", "balade", "initiation", "decouverte", "tournoi", "permanence",
    "conference", "chantier", "fete", "exposition", "stage", "club", "cafe", "repas", "brunch",
    "hackathon", "jam", "conte", "lecture", "demonstration", "forum",
]  # fmt: skip
SUBJECTS = [
    "electronique", "arduino", "tricot", "compost", "linux", "photographie", "poterie",
    "menuiserie", "podcast", "cartographie", "apiculture", "vannerie", "robotique", "dessin",
    "bricolage", "jardinage", "astronomie", "ecriture", "impression", "serigraphie",
]  # fmt: skip
COLUMNS = [
    "ap_id", "local", "actor_uri", "attributed_to", "name", "content", "start_time", "end_time",
    "timezone", "location", "category", "tags", "status",
]  # fmt: skip
INDEXES = ("events_start", "events_search", "events_cell_start", "events_tags", "events_during")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--places", type=int, default=3_500)
    parser.add_argument("--runs", type=int, default=300, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=600.0)
    return parser.parse_args()


def make_places(rng: random.Random, count: int) -> list[tuple[str, float, float]]:
    return [
        (
            f"https://lieu{number}.example/actors/place",
            rng.uniform(SOUTH, NORTH),
            rng.uniform(WEST, EAST),
        )
        for number in range(count)
    ]


def event_rows(
    rng: random.Random, places: list[tuple[str, float, float]], count: int, now: datetime
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    year_start = now - timedelta(days=182)
    for number in range(count):
        uri, latitude, longitude = places[rng.randrange(len(places))]
        start = year_start + timedelta(minutes=rng.randrange(365 * 24 * 4) * 15)
        roll = rng.random()
        if roll < 0.1:
            end = None
        elif roll < 0.12:
            end = start + timedelta(days=rng.randint(1, 10))
        else:
            end = start + timedelta(minutes=rng.choice((60, 90, 120, 180, 240)))
        word, subject = rng.choice(WORDS), rng.choice(SUBJECTS)
        location = json.dumps(
            [{"type": "Place", "name": "Tiers-lieu", "latitude": round(latitude, 5),
              "longitude": round(longitude, 5)}]
        )  # fmt: skip
        rows.append(
            (
                f"{uri.removesuffix('/actors/place')}/events/{number}",
                False,
                uri,
                uri,
                f"{word.capitalize()} {subject}",
                f"<p>{word} {subject} {rng.choice(SUBJECTS)} au tiers-lieu</p>",
                start,
                end,
                "Europe/Paris",
                location,
                rng.choice(CATEGORIES),
                rng.sample(TAGS, rng.randint(1, 3)),
                "CANCELLED" if rng.random() < 0.02 else "CONFIRMED",
            )
        )
    return rows


async def load(dsn: str, events: int, place_count: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    connection = await asyncpg.connect(dsn)
    try:
        places = make_places(rng, place_count)
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "remote_actors",
            columns=["uri", "host", "kind", "display_name", "inbox", "document"],
            records=[
                (uri, uri.split("/")[2], "Group", f"Tiers-lieu {n}", uri + "/inbox", "{}")
                for n, (uri, _, _) in enumerate(places)
            ],
        )
        rows = await asyncio.to_thread(event_rows, rng, places, events, now)
        generated = time.perf_counter() - started
        say(f"generated {events:,} events of {place_count:,} places in {generated:.1f} s")
        definitions = [
            await connection.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", name)
            for name in INDEXES
        ]
        for name in INDEXES:
            await connection.execute(f"DROP INDEX {name}")
        started = time.perf_counter()
        await connection.copy_records_to_table("events", columns=COLUMNS, records=rows)
        copied = time.perf_counter() - started
        say(f"COPY of {events:,} events: {copied:.1f} s ({events / copied:,.0f} rows/s)")
        started = time.perf_counter()
        await connection.execute("SET maintenance_work_mem = '256MB'")
        for definition in definitions:
            await connection.execute(definition)
        await connection.execute("VACUUM ANALYZE events")
        indexed = time.perf_counter() - started
        say(f"indexes rebuilt and table analysed in {indexed:.1f} s")
    finally:
        await connection.close()
    return {"copy_s": rounded(copied), "index_s": rounded(indexed)}


async def measure(pool: asyncpg.Pool, name: str, filters: list[AgendaFilter]) -> dict[str, float]:
    timings: list[float] = []
    counts: list[int] = []
    async with pool.acquire() as connection:
        for wanted in filters[:20]:  # warm-up: caches and prepared statements
            await agenda(connection, wanted)
        for wanted in filters:
            started = time.perf_counter()
            items, _ = await agenda(connection, wanted)
            timings.append((time.perf_counter() - started) * 1000)
            counts.append(len(items))
    figures = {
        "p50_ms": rounded(percentile(timings, 0.5), 2),
        "p99_ms": rounded(percentile(timings, 0.99), 2),
        "max_ms": rounded(max(timings), 2),
        "mean_rows": rounded(sum(counts) / len(counts), 1),
    }
    say(
        f"{name:<32} p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms  "
        f"max {figures['max_ms']:6.2f} ms  ({figures['mean_rows']} events a page)"
    )
    return figures


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="maillage-agenda-") as folder:
        async with bench_database(Path(folder)) as database:
            await create_node_in(database.dsn, "bench.example")
            loading = await load(database.dsn, arguments.events, arguments.places, arguments.seed)
            rng = random.Random(arguments.seed + 1)
            now = datetime.now(UTC)
            runs = arguments.runs
            kinds = {
                "30 days, 50 km, one tag": [
                    AgendaFilter(
                        start=now,
                        end=now + timedelta(days=30),
                        tags=(rng.choice(TAGS),),
                        near=Near(rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST), 50),
                    )
                    for _ in range(runs)
                ],
                "text search": [
                    AgendaFilter(start=now, text=rng.choice(WORDS + SUBJECTS)) for _ in range(runs)
                ],
                "happening now": [
                    AgendaFilter(start=now + timedelta(minutes=rng.randrange(600)), now_only=True)
                    for _ in range(runs)
                ],
                "next page, no filter": [
                    AgendaFilter(start=now + timedelta(days=rng.randrange(120)))
                    for _ in range(runs)
                ],
            }
            pool = await asyncpg.create_pool(database.dsn, min_size=1, max_size=1)
            try:
                results = {
                    name: await measure(pool, name, filters) for name, filters in kinds.items()
                }
            finally:
                await pool.close()
    worst = max(figures["p99_ms"] for figures in results.values())
    say(f"worst p99: {worst:.2f} ms (target: under 20 ms)")
    return {
        "benchmark": "agenda_query",
        "events": arguments.events,
        "places": arguments.places,
        "runs": arguments.runs,
        **loading,
        "queries": results,
        "worst_p99_ms": worst,
        "target_met": worst < 20,
    }


def main() -> int:
    arguments = parse_arguments()
    return asyncio.run(run_bounded(lambda: run(arguments), arguments.time_limit))


if __name__ == "__main__":
    raise SystemExit(main())
