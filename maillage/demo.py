"""`maillage demo`: three neighbouring places of Lozère on this machine, following each other.

Each place is a real node: its own `maillage serve` process, its own embedded PostgreSQL in its
own data directory, reached over loopback HTTP like any neighbour. The demo talks to them only
through the REST API, as an animateur would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import click

from clients.api import ApiError, MaillageClient

# Loopback only: the demo nodes listen on 127.0.0.1, and the password is printed for the user.
DEMO_PASSWORD = "demo-password"  # noqa: S105
START_DEADLINE = 120.0


@dataclass(frozen=True)
class DemoPlace:
    slug: str
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def handle(self) -> str:
        return f"place@localhost:{self.port}"


def demo_places(base_port: int) -> list[DemoPlace]:
    return [
        DemoPlace("mende", "Tiers-lieu de Mende", base_port),
        DemoPlace("florac", "Fablab de Florac", base_port + 1),
        DemoPlace("villefort", "Télécentre de Villefort", base_port + 2),
    ]


def maillage(*args: str) -> list[str]:
    return [sys.executable, "-m", "maillage", *args]


def node_env(folder: Path, place: DemoPlace) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        MAILLAGE_DATA_DIR=str(folder / place.slug),
        MAILLAGE_PORT=str(place.port),
        MAILLAGE_WORKER_POLL_SECONDS="1",
        MAILLAGE_ADMIN_PASSWORD=DEMO_PASSWORD,
    )
    return env


def initialise(folder: Path, place: DemoPlace) -> bool:
    """Create the node the first time; False when it already existed."""
    if (folder / place.slug / "maillage.toml").exists():
        return False
    result = subprocess.run(
        maillage(
            "init", "--development", "--domain", f"localhost:{place.port}",
            "--name", place.name, "--admin-username", "admin",
            "--admin-email", f"admin@{place.slug}.example",
        ),
        env=node_env(folder, place),
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise click.ClickException(f"{place.slug}: {result.stderr.strip()}")
    return True


@contextlib.contextmanager
def running_nodes(folder: Path, places: list[DemoPlace]) -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    try:
        for place in places:
            log = (folder / f"{place.slug}.log").open("a")
            processes.append(
                subprocess.Popen(
                    maillage("serve"),
                    env=node_env(folder, place),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


async def wait_ready(places: list[DemoPlace], processes: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + START_DEADLINE
    async with aiohttp.ClientSession() as session:
        for place, process in zip(places, processes, strict=True):
            while True:
                if process.poll() is not None:
                    raise click.ClickException(
                        f"{place.slug} stopped while starting; see its log in the demo folder"
                    )
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{place.url}/readyz") as response:
                        if response.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise click.ClickException(f"{place.slug} did not become ready in time")
                await asyncio.sleep(0.2)


async def befriend(places: list[DemoPlace]) -> None:
    """Each place follows the two others (already-followed ones are left as they are)."""
    for place in places:
        async with MaillageClient(place.url) as client:
            await client.log_in("admin", DEMO_PASSWORD)
            known = {n.actor for n in await client.neighbours() if n.we_follow}
            for other in places:
                if other is not place and f"{other.url}/actors/place" not in known:
                    await client.follow(other.handle)


def print_urls(places: list[DemoPlace]) -> None:
    click.echo("\nMaillage demo: three places following each other / trois lieux voisins")
    for place in places:
        click.echo(f"  {place.name:<28} {place.url}/actors/place")
    click.echo(f"\nAPI: POST /api/v1/auth/login with admin / {DEMO_PASSWORD}; OpenAPI at")
    click.echo(f"  {places[0].url}/api/openapi.json")
    click.echo("Ctrl-C stops everything / Ctrl-C arrête tout.")


async def wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


@click.command()
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("maillage-demo"),
    show_default=True,
    help="Where the three nodes keep their data (kept between runs).",
)
@click.option("--base-port", type=click.IntRange(1024, 65530), default=8301, show_default=True)
def demo(folder: Path, base_port: int) -> None:
    """Run three neighbouring places (Mende, Florac, Villefort) on this machine."""
    folder = folder.absolute()
    folder.mkdir(parents=True, exist_ok=True)
    places = demo_places(base_port)
    for place in places:
        if initialise(folder, place):
            click.echo(f"created {place.name} in {folder / place.slug}")
    with running_nodes(folder, places) as processes:
        try:
            asyncio.run(wait_ready(places, processes))
            asyncio.run(befriend(places))
        except ApiError as error:
            raise click.ClickException(str(error)) from None
        print_urls(places)
        asyncio.run(wait_for_stop())
    click.echo("stopped / arrêté")
