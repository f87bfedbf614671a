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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import click

from clients import content
from clients.api import ApiError, MaillageClient
from schemas.api import AccountIn
from schemas.api_calls import CallIn
from schemas.api_events import EventIn, PlaceIn
from schemas.api_place import AddressIn, PlaceProfilePatch, Service, SpaceKind, WeeklyHours
from schemas.api_profiles import ProfilePatch, SkillBody, VisibilityIn

# Loopback only: the demo nodes listen on 127.0.0.1, and the password is printed for the user.
DEMO_PASSWORD = "demo-password"  # noqa: S105
START_DEADLINE = 120.0


@dataclass(frozen=True)
class DemoPlace:
    slug: str
    name: str
    port: int
    latitude: float
    longitude: float
    events: tuple[tuple[str, str, int, tuple[str, ...]], ...]  # name, category, days ahead, tags
    call: tuple[str, str, tuple[str, ...]]  # kind, title, skills wanted
    member: tuple[str, str, tuple[str, ...]]  # username, name, skills
    address: tuple[str, str, str]  # street, postal code, locality
    hours: tuple[tuple[tuple[str, ...], str, str], ...]  # days, opens, closes
    services: tuple[Service, ...]
    kinds: tuple[SpaceKind, ...]

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def handle(self) -> str:
        return f"place@localhost:{self.port}"


WEEK = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def demo_places(base_port: int) -> list[DemoPlace]:
    return [
        DemoPlace(
            "mende", "Tiers-lieu de Mende", base_port, 44.5181, 3.5006,
            (("Café-réparation", "WORKSHOP", 3, ("repair", "velo")),
             ("Soirée numérique : l'IA sans magie", "MEETING", 9, ("numerique",))),
            ("volunteers", "Bénévoles pour la fête du tiers-lieu", ("accueil", "cuisine")),
            ("camille", "Camille Martin", ("comptabilite", "gestion de projet")),
            ("2 rue de l'Ange", "48000", "Mende"),
            ((WEEK, "08:00", "20:00"), (("Saturday",), "09:00", "13:00")),
            (Service.FIBRE, Service.DESKS, Service.MEETING_ROOM, Service.VISIO_ROOM),
            (SpaceKind.COWORKING, SpaceKind.THIRD_PLACE),
        ),
        DemoPlace(
            "florac", "Fablab de Florac", base_port + 1, 44.3244, 3.5936,
            (("Initiation à l'impression 3D", "WORKSHOP", 5, ("fablab", "3d")),
             ("Atelier soudure", "WORKSHOP", 12, ("fablab", "soudure"))),
            ("skills", "Cherche formateur·ice en électronique", ("electronique", "arduino")),
            ("lea", "Léa Dubois", ("impression 3d", "soudure", "arduino")),
            ("12 avenue Jean Monestier", "48400", "Florac-Trois-Rivières"),
            ((WEEK, "09:00", "18:00"),),
            (Service.WIFI, Service.PRINTER_3D, Service.LASER_CUTTER, Service.WORKSHOP),
            (SpaceKind.FABLAB, SpaceKind.MAKERSPACE),
        ),
        DemoPlace(
            "villefort", "Télécentre de Villefort", base_port + 2, 44.4389, 3.9326,
            (("Permanence France Services", "MEETING", 2, ("numerique", "administratif")),
             ("Apéro des télétravailleurs", "SOCIAL_EVENT", 7, ("coworking",))),
            ("partners", "Partenaires pour une navette du coworking", ("mobilite",)),
            ("yanis", "Yanis Benali", ("developpement web", "cartographie")),
            ("Place du Bosquet", "48800", "Villefort"),
            ((("Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"), "09:00", "17:00"),),
            (Service.FIBRE, Service.DESKS, Service.PRINTER, Service.CHILDCARE_NEARBY),
            (SpaceKind.TELECENTRE, SpaceKind.FRANCE_SERVICES),
        ),
    ]  # fmt: skip


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


async def fill(place: DemoPlace) -> None:
    """A first run gives each place its address, two events, an open call, a shared profile."""
    async with MaillageClient(place.url) as client:
        await client.log_in("admin", DEMO_PASSWORD)
        if any(event.local for event in await content.events(client)):
            return  # filled on an earlier run
        await client.request(
            "PATCH",
            "/api/v1/place",
            PlaceProfilePatch(
                latitude=place.latitude,
                longitude=place.longitude,
                timezone="Europe/Paris",
                description=f"{place.name}, en Lozère.",
                address=AddressIn(
                    street_address=place.address[0],
                    postal_code=place.address[1],
                    locality=place.address[2],
                    country="France",
                ),
                opening_hours=[
                    WeeklyHours.model_validate({"days": days, "opens": opens, "closes": closes})
                    for days, opens, closes in place.hours
                ],
                services=list(place.services),
                space_kinds=list(place.kinds),
            ),
        )
        now = datetime.now(ZoneInfo("Europe/Paris")).replace(microsecond=0, tzinfo=None)
        for name, category, days, tags in place.events:
            start = (now + timedelta(days=days)).replace(hour=18, minute=0, second=0)
            await content.create_event(
                client,
                EventIn(
                    name=name,
                    content=f"<p>{name} — {place.name}</p>",
                    start_time=start,
                    end_time=start + timedelta(hours=2),
                    timezone="Europe/Paris",
                    place=PlaceIn(
                        name=place.name, latitude=place.latitude, longitude=place.longitude
                    ),
                    category=category,
                    tags=list(tags),
                    maximum_attendee_capacity=20,
                ),
            )
        kind, title, skills = place.call
        await content.create_call(
            client,
            CallIn(
                kind=kind,
                title=title,
                description=f"{title}. Contact : l'accueil de {place.name}.",
                deadline=datetime.now(UTC) + timedelta(days=30),
                skills_wanted=list(skills),
                territory="Lozère",
            ),
        )
        username, full_name, member_skills = place.member
        await client.create_account(
            AccountIn(
                username=username,
                email=f"{username}@{place.slug}.example",
                password=DEMO_PASSWORD,
                role="member",
            )
        )
    async with MaillageClient(place.url) as member:
        await member.log_in(username, DEMO_PASSWORD)
        await content.edit_my_profile(
            member,
            ProfilePatch(name=full_name, skills=[SkillBody(name=skill) for skill in member_skills]),
        )
        await content.set_my_visibility(member, VisibilityIn(visibility="network"))


async def all_accepted(places: list[DemoPlace]) -> None:
    """Publish only once every follow is accepted, so each neighbour gets every event."""
    deadline = time.monotonic() + START_DEADLINE
    for place in places:
        async with MaillageClient(place.url) as client:
            await client.log_in("admin", DEMO_PASSWORD)
            while sum(n.we_follow == "accepted" for n in await client.neighbours()) < 2:
                if time.monotonic() > deadline:
                    raise click.ClickException(f"{place.slug}'s neighbours did not accept in time")
                await asyncio.sleep(0.2)


async def fill_all(places: list[DemoPlace]) -> None:
    await all_accepted(places)
    for place in places:
        await fill(place)


def print_urls(places: list[DemoPlace]) -> None:
    click.echo("\nMaillage demo: three places following each other / trois lieux voisins")
    for place in places:
        click.echo(f"  {place.name}")
        for label, path in (("agenda", "/agenda"), ("places", "/places"), ("wall", "/wall")):
            click.echo(f"    {label:<7} {place.url}{path}")
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
            asyncio.run(fill_all(places))
        except ApiError as error:
            raise click.ClickException(str(error)) from None
        print_urls(places)
        asyncio.run(wait_for_stop())
    click.echo("stopped / arrêté")
