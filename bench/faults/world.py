"""What each fault scenario runs in: its size, and a world of one node, its followers and a
publisher on a fresh database of the suite's cluster; and the line each scenario reports."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.faults.followers import Arrivals, FakeFollower, make_followers
from bench.faults.harness import Node, Publisher, StoppableCluster, tally

# A POST cut by a killed node keeps its Idempotency-Key "in progress" for a minute (see
# server/routes/idempotency.py): the publisher gives such an event up sooner, as not
# acknowledged, rather than wait for it.
KILLED_GIVE_UP = 8.0


@dataclass(frozen=True)
class Scale:
    followers: int
    events: int
    lease_seconds: float
    receiver_down_seconds: float
    receiver_back_within: float  # the bound: 4 min down -> backlog within 2 min (issue 13)
    database_down_seconds: float
    fair_share: float = 0.8  # fast followers keep this share of their throughput
    rate_rounds: int = 1  # slow_receiver: runs without and with the slow follower, alternated


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
    rate_rounds=3,
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


async def report(
    world: World,
    scenario: str,
    hosts: list[str],
    recovery: float | None,
    bound: float | None,
    **extra: Any,
) -> dict[str, Any]:
    """The scenario's line, what is still pending at the node told apart from what is lost."""
    pending = await world.node.pending_deliveries()
    publisher, arrivals = world.publisher, world.arrivals
    line = tally(scenario, publisher, arrivals, hosts, recovery, bound, pending, **extra)
    measured = sum(1 for _, host in pending if host in hosts)
    return line | {"still_pending": measured, "pending_to_others": len(pending) - measured}


async def tear_down(world: World) -> None:
    world.node.signal(signal.SIGKILL)  # the scenario is over: its data is thrown away
    await world.node.wait_exit()
    for follower in world.followers:
        await follower.down()
