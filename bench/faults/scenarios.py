"""The faults of issue 13, each measured from outside: what was sent and acknowledged through
the API, what the fake followers received, and how long the node took to recover."""

from __future__ import annotations

import asyncio
import signal
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.faults.followers import Arrivals, FakeFollower, make_followers
from bench.faults.harness import StoppableCluster, wait_all_delivered
from bench.faults.stopping import sigterm_under_load
from bench.faults.world import KILLED_GIVE_UP, Scale, World, make_world, report, tear_down

SLOW_ANSWER_SECONDS = 2.0  # a healthy but slow follower (issue 13)
BURST = 8
FAST_DEADLINE = 120.0  # beyond it, the slow_receiver scenario reports the fast rate so far
ADDED_UP = (
    "sent",
    "acknowledged",
    "deliveries_expected",
    "delivered",
    "missing",
    "late",
    "duplicated",
    "still_pending",
    "pending_to_others",
)


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
        return await report(
            world,
            "publisher_sigkill",
            world.hosts,
            recovery,
            scale.lease_seconds + 10,
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
        return await report(
            world,
            "receiver_down",
            world.hosts,
            recovery,
            scale.receiver_back_within,
            down_seconds=scale.receiver_down_seconds,
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
    """One follower answering after 2 s must cost the fast ones at most 20 % of their rate.
    Runs without and with it alternate `scale.rate_rounds` times and the median rates are
    compared, since one run of a few seconds on a shared machine varies more than that."""
    alone: list[float] = []
    beside: list[float] = []
    lines: list[dict[str, Any]] = []
    for number in range(1, scale.rate_rounds + 1):
        baseline_world, baseline, _ = await fast_throughput(
            workdir / f"baseline-{number}", cluster, session, scale, with_slow=False
        )
        await tear_down(baseline_world)
        alone.append(baseline)
        world, rate, seconds = await fast_throughput(
            workdir / f"slow-{number}", cluster, session, scale, with_slow=True
        )
        try:
            fast_hosts = [f.host for f in world.followers if f.delay_seconds == 0]
            lines.append(await report(world, "slow_receiver", fast_hosts, seconds, None))
        finally:
            await tear_down(world)
        beside.append(rate)
    share = statistics.median(beside) / statistics.median(alone) if min(alone) else 0.0
    # Each round is a world of its own: what was sent, delivered or lost adds up.
    line = lines[-1] | {key: sum(each[key] for each in lines) for key in ADDED_UP}
    line |= {
        "ok": all(each["ok"] for each in lines) and share >= scale.fair_share,
        "recovery_seconds": statistics.median(each["recovery_seconds"] or 0 for each in lines),
        "rounds": scale.rate_rounds,
        "fast_rates_alone": [round(rate, 1) for rate in alone],
        "fast_rates_with_slow": [round(rate, 1) for rate in beside],
        "fast_share": round(share, 3),
        "fast_share_bound": scale.fair_share,
    }
    return line


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
        return await report(
            world,
            "database_restart",
            world.hosts,
            recovery,
            round(bound, 2),
            normal_latency_seconds=None if normal is None else round(normal, 3),
            down_seconds=scale.database_down_seconds,
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
        line = await report(
            world,
            "duplicate_bursts",
            world.hosts,
            None,  # no fault to recover from: what counts is that nothing came twice
            None,
            events=scale.events // 2,
        )
        wanted = scale.events // 2
        line["ok"] = line["ok"] and line["acknowledged"] == wanted and not line["duplicated"]
        return line
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
