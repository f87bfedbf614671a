"""The faults of issue 13, each measured from outside: what was sent and acknowledged through
the API, what the fake followers received, and how long the node took to recover."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.faults.followers import Arrivals, FakeFollower, make_followers
from bench.faults.harness import Node, Publisher, StoppableCluster, tally, wait_all_delivered

SLOW_ANSWER_SECONDS = 2.0  # a healthy but slow follower (issue 13)
BURST = 8
FAST_DEADLINE = 120.0  # beyond it, the slow_receiver scenario reports the fast rate so far
# A POST cut by a killed node keeps its Idempotency-Key "in progress" for a minute (see
# server/routes/idempotency.py): the publisher gives such an event up sooner, as not
# acknowledged, rather than wait for it.
KILLED_GIVE_UP = 8.0
# Slower than the workers' 10 s to finish on SIGTERM (server/workers/supervisor.py), so that
# the stop cuts deliveries short; the fast followers must then not wait for their leases.
STOPPING_SLOW_ANSWER_SECONDS = 11.0
SIGTERM_BOUND_SECONDS = 5.0


@dataclass(frozen=True)
class Scale:
    followers: int
    events: int
    lease_seconds: float
    receiver_down_seconds: float
    receiver_back_within: float  # the bound: 4 min down -> backlog within 2 min (issue 13)
    database_down_seconds: float
    fair_share: float = 0.8  # fast followers keep this share of their throughput


CI = Scale(
    followers=3,
    events=12,
    lease_seconds=15.0,
    receiver_down_seconds=10.0,
    receiver_back_within=5.0,
    database_down_seconds=3.0,
)
FULL = Scale(
    followers=12,
    events=300,
    lease_seconds=120.0,
    receiver_down_seconds=240.0,
    receiver_back_within=120.0,
    database_down_seconds=10.0,
)


@dataclass
class World:
    """One scenario's node, followers and publisher, on a fresh database of the cluster."""

    node: Node
    followers: list[FakeFollower]
    arrivals: Arrivals
    publisher: Publisher

    @property
    def hosts(self) -> list[str]:
        return [follower.host for follower in self.followers]


async def make_world(
    workdir: Path,
    cluster: StoppableCluster,
    session: aiohttp.ClientSession,
    scale: Scale,
    followers: list[FakeFollower] | None = None,
    **settings: str,
) -> World:
    arrivals = Arrivals()
    made = followers if followers is not None else make_followers(scale.followers, arrivals)
    for follower in made:
        follower.arrivals = arrivals
        await follower.up()
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    environment = {
        "MAILLAGE_DELIVERY_LEASE_SECONDS": str(scale.lease_seconds),
        "MAILLAGE_DELIVERY_FIRST_RETRY_SECONDS": "1",
        **settings,
    }
    node = Node(workdir, await cluster.new_database(), made, environment)
    await node.create()
    await node.start()
    publisher = Publisher(node, session)
    await publisher.log_in()
    return World(node, made, arrivals, publisher)


async def with_pending(world: World, line: dict[str, Any]) -> dict[str, Any]:
    return line | {"still_pending": await world.node.still_pending()}


async def tear_down(world: World) -> None:
    world.node.signal(signal.SIGKILL)  # the scenario is over: its data is thrown away
    await world.node.wait_exit()
    for follower in world.followers:
        await follower.down()


async def publisher_sigkill(
    workdir: Path, cluster: StoppableCluster, session: aiohttp.ClientSession, scale: Scale
) -> dict[str, Any]:
    """SIGKILL of the node while it fans out; restarted, it must deliver everything it
    acknowledged. What a killed process had leased waits for its lease: the bound."""
    world = await make_world(workdir, cluster, session, scale)
    try:
        publishing = asyncio.create_task(
            world.publisher.publish_many(scale.events, "kill", give_up_after=KILLED_GIVE_UP)
        )
        await world.publisher.until_acknowledged(scale.events // 2)
        world.node.signal(signal.SIGKILL)
        await world.node.wait_exit()
        await world.node.start()
        restarted = time.monotonic()
        await publishing
        done = await wait_all_delivered(
            world.publisher, world.arrivals, world.hosts, scale.lease_seconds + 60
        )
        recovery = None if done is None else max(0.0, done - restarted)
        return await with_pending(
            world,
            tally(
                "publisher_sigkill",
                world.publisher,
                world.arrivals,
                world.hosts,
                recovery,
                scale.lease_seconds + 10,
            ),
        )
    finally:
        await tear_down(world)


async def receiver_down(
    workdir: Path, cluster: StoppableCluster, session: aiohttp.ClientSession, scale: Scale
) -> dict[str, Any]:
    """A follower is off while events are published, then back: its backlog must arrive
    within the bound (4 min down: 2 min, issue 13), the others' at once."""
    world = await make_world(workdir, cluster, session, scale)
    try:
        absent = world.followers[0]
        await absent.down()
        went_down = time.monotonic()
        await world.publisher.publish_many(scale.events, "down")
        await asyncio.sleep(max(0.0, went_down + scale.receiver_down_seconds - time.monotonic()))
        await absent.up()
        back = time.monotonic()
        done = await wait_all_delivered(
            world.publisher, world.arrivals, world.hosts, 2 * scale.receiver_back_within
        )
        recovery = None if done is None else max(0.0, done - back)
        return await with_pending(
            world,
            tally(
                "receiver_down",
                world.publisher,
                world.arrivals,
                world.hosts,
                recovery,
                scale.receiver_back_within,
                down_seconds=scale.receiver_down_seconds,
            ),
        )
    finally:
        await tear_down(world)


async def fast_throughput(
    workdir: Path,
    cluster: StoppableCluster,
    session: aiohttp.ClientSession,
    scale: Scale,
    with_slow: bool,
) -> tuple[World, float, float | None]:
    """(world, deliveries per second to the fast followers, seconds they took)."""
    arrivals = Arrivals()
    followers = make_followers(scale.followers, arrivals)
    fast_hosts = [follower.host for follower in followers]
    if with_slow:
        slow = FakeFollower("slow", arrivals, delay_seconds=SLOW_ANSWER_SECONDS)
        followers.append(slow)
    world = await make_world(workdir, cluster, session, scale, followers)
    started = time.monotonic()
    await world.publisher.publish_many(scale.events, "slow" if with_slow else "fast")
    done = await wait_all_delivered(world.publisher, world.arrivals, fast_hosts, FAST_DEADLINE)
    if done is None:  # the rate so far
        reached = sum(1 for (_, host), count in world.arrivals.counts.items() if host in fast_hosts)
        return world, reached / (time.monotonic() - started), None
    seconds = max(done - started, 1e-3)
    return world, len(world.publisher.acknowledged) * len(fast_hosts) / seconds, seconds


async def slow_receiver(
    workdir: Path, cluster: StoppableCluster, session: aiohttp.ClientSession, scale: Scale
) -> dict[str, Any]:
    """One follower answering after 2 s must cost the fast ones at most 20 % of their rate."""
    baseline_world, baseline, _ = await fast_throughput(
        workdir / "baseline", cluster, session, scale, with_slow=False
    )
    await tear_down(baseline_world)
    world, rate, seconds = await fast_throughput(
        workdir / "slow", cluster, session, scale, with_slow=True
    )
    try:
        fast_hosts = [f.host for f in world.followers if f.delay_seconds == 0]
        share = rate / baseline if baseline else 0.0
        line = tally(
            "slow_receiver", world.publisher, world.arrivals, fast_hosts, seconds, None
        ) | {
            "fast_rate_alone": round(baseline, 1),
            "fast_rate_with_slow": round(rate, 1),
            "fast_share": round(share, 3),
            "fast_share_bound": scale.fair_share,
        }
        line["ok"] = line["ok"] and share >= scale.fair_share
        return await with_pending(world, line)
    finally:
        await tear_down(world)


async def delivery_latency(world: World, name: str) -> float | None:
    """Seconds from an event's 201 until every follower has it."""
    event = await world.publisher.publish(name)
    if event is None:
        return None
    answered = world.publisher.acknowledged[event]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pairs = [(event, host) for host in world.hosts]
        if all(world.arrivals.counts[pair] for pair in pairs):
            return max(world.arrivals.first_at[pair] for pair in pairs) - answered
        await asyncio.sleep(0.01)
    return None


async def database_restart(
    workdir: Path, cluster: StoppableCluster, session: aiohttp.ClientSession, scale: Scale
) -> dict[str, Any]:
    """PostgreSQL stopped under load, then started: nothing acknowledged is lost, and within
    2 s of its return an event published is delivered at the normal latency. The workers'
    poll is set to 30 s, so only a LISTEN made again can be that prompt."""
    world = await make_world(workdir, cluster, session, scale, MAILLAGE_WORKER_POLL_SECONDS="30")
    try:
        normal = await delivery_latency(world, "before")
        publishing = asyncio.create_task(world.publisher.publish_many(scale.events, "db"))
        await world.publisher.until_acknowledged(1 + scale.events // 3)
        await cluster.stop()
        await asyncio.sleep(scale.database_down_seconds)  # the outage itself
        await cluster.start()
        back = time.monotonic()
        probe = await world.publisher.publish("after")
        await publishing
        recovery = None
        if probe is not None:
            done = await wait_all_delivered(world.publisher, world.arrivals, world.hosts, 60)
            probe_pairs = [(probe, host) for host in world.hosts]
            if done is not None:
                recovery = max(world.arrivals.first_at[pair] for pair in probe_pairs) - back
        bound = 2.0 + (normal or 0.0)
        return await with_pending(
            world,
            tally(
                "database_restart",
                world.publisher,
                world.arrivals,
                world.hosts,
                recovery,
                round(bound, 2),
                normal_latency_seconds=None if normal is None else round(normal, 3),
                down_seconds=scale.database_down_seconds,
            ),
        )
    finally:
        await tear_down(world)


async def sigterm_under_load(
    workdir: Path, cluster: StoppableCluster, session: aiohttp.ClientSession, scale: Scale
) -> dict[str, Any]:
    """SIGTERM while a follower answering slower than the workers' stop timeout holds
    deliveries: what the stopping node had claimed must be given back, so that after the
    restart nothing waits for a lease (the fast followers have everything within seconds, far
    under the lease), and nothing acknowledged is lost."""
    arrivals = Arrivals()
    followers = make_followers(scale.followers, arrivals)
    fast_hosts = [follower.host for follower in followers]
    followers.append(FakeFollower("slow", arrivals, delay_seconds=STOPPING_SLOW_ANSWER_SECONDS))
    world = await make_world(workdir, cluster, session, scale, followers)
    try:
        publishing = asyncio.create_task(
            world.publisher.publish_many(scale.events // 2, "term", give_up_after=KILLED_GIVE_UP)
        )
        await world.publisher.until_acknowledged(scale.events // 4)
        world.node.signal(signal.SIGTERM)
        await world.node.wait_exit()
        await world.node.start()
        restarted = time.monotonic()
        await publishing
        fast_done = await wait_all_delivered(
            world.publisher, world.arrivals, fast_hosts, scale.lease_seconds + 30
        )
        await wait_all_delivered(
            world.publisher, world.arrivals, world.hosts, scale.lease_seconds + 20
        )
        recovery = None if fast_done is None else max(0.0, fast_done - restarted)
        return await with_pending(
            world,
            tally(
                "sigterm_under_load",
                world.publisher,
                world.arrivals,
                world.hosts,
                recovery,
                SIGTERM_BOUND_SECONDS,
                lease_seconds=scale.lease_seconds,
                slow_answer_seconds=STOPPING_SLOW_ANSWER_SECONDS,
            ),
        )
    finally:
        await tear_down(world)


async def duplicate_bursts(
    workdir: Path, cluster: StoppableCluster, session: aiohttp.ClientSession, scale: Scale
) -> dict[str, Any]:
    """Each event POSTed BURST times at once with one Idempotency-Key (a client retrying hard):
    one event each, and each follower gets each once."""
    world = await make_world(workdir, cluster, session, scale)
    try:
        for index in range(scale.events // 2):
            key = f"burst-{index}-{uuid.uuid4()}"
            await asyncio.gather(
                *(world.publisher.publish(f"dup {index}", key=key) for _ in range(BURST))
            )
        await wait_all_delivered(world.publisher, world.arrivals, world.hosts, 60)
        line = tally(
            "duplicate_bursts",
            world.publisher,
            world.arrivals,
            world.hosts,
            None,  # no fault to recover from: what counts is that nothing came twice
            None,
            events=scale.events // 2,
        )
        wanted = scale.events // 2
        line["ok"] = line["ok"] and line["acknowledged"] == wanted and not line["duplicated"]
        return await with_pending(world, line)
    finally:
        await tear_down(world)


SCENARIOS = {
    "publisher_sigkill": publisher_sigkill,
    "receiver_down": receiver_down,
    "slow_receiver": slow_receiver,
    "database_restart": database_restart,
    "sigterm_under_load": sigterm_under_load,
    "duplicate_bursts": duplicate_bursts,
}
