"""SIGTERM under load: a stop must give back what it claimed, so that after the restart nothing
waits for a lease, and the slow follower gets the rest at its own concurrency."""

from __future__ import annotations

import asyncio
import math
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.faults.followers import Arrivals, FakeFollower, make_followers
from bench.faults.harness import StoppableCluster, wait_all_delivered
from bench.faults.world import KILLED_GIVE_UP, Scale, World, make_world, report, tear_down
from federation.fetcher import FetchPolicy
from server.workers.delivery import STOP_GRACE, DeliveryWorker

# The slow follower of sigterm_under_load answers after the delivery worker's grace on a stop
# (STOP_GRACE), so that the stop cuts its deliveries short and must give them back, and before
# the fetcher's read timeout: an answer later than that is a timeout, for us as for Mastodon,
# and the host is treated as down (paused, then probed one delivery at a time). An 11 s answer
# was such a host, not a slow one: one probe at a time, each timing out 10 s later.
STOPPING_SLOW_ANSWER_SECONDS = (STOP_GRACE + FetchPolicy().read_timeout) / 2
SIGTERM_BOUND_SECONDS = 5.0  # the fast followers have everything this soon after the restart
SLOW_MARGIN_SECONDS = 10.0


def slow_bound_seconds(deliveries: int, answer_seconds: float, concurrency: int) -> float:
    """How long a follower answering in `answer_seconds` may take to get `deliveries`, sent
    `concurrency` at a time: one round of answers per `concurrency` deliveries, one more round
    for the queue a claim holds ahead of the requests, and a margin for claims and publishing."""
    rounds = math.ceil(deliveries / concurrency) + 1
    return rounds * answer_seconds + SLOW_MARGIN_SECONDS


async def until_everything_arrived(world: World, deadline_seconds: float) -> bool:
    """Wait until every acknowledged event has reached every follower and the node has nothing
    pending (the deliveries a stop cut short are sent again too); False at the deadline."""
    give_up_at = time.monotonic() + deadline_seconds
    while time.monotonic() < give_up_at:
        pairs = [(event, host) for event in world.publisher.acknowledged for host in world.hosts]
        if (
            all(world.arrivals.counts[pair] for pair in pairs)
            and await world.node.still_pending() == 0
        ):
            return True
        await asyncio.sleep(0.5)
    return False


async def sigterm_under_load(
    workdir: Path, cluster: StoppableCluster, session: aiohttp.ClientSession, scale: Scale
) -> dict[str, Any]:
    """SIGTERM while a slow follower holds deliveries that the stop cuts short: what the
    stopping node had claimed must be given back (no lease left running once it has exited), so
    that after the restart nothing waits for a lease: the fast followers have everything within
    seconds, far under the lease, and the slow one gets the rest at its own concurrency, within
    a bound computed from how many it had left, its answer time and its starting concurrency.
    Nothing acknowledged is lost."""
    arrivals = Arrivals()
    followers = make_followers(scale.followers, arrivals)
    fast_hosts = [follower.host for follower in followers]
    slow = FakeFollower("slow", arrivals, delay_seconds=STOPPING_SLOW_ANSWER_SECONDS)
    followers.append(slow)
    world = await make_world(workdir, cluster, session, scale, followers)
    try:
        publishing = asyncio.create_task(
            world.publisher.publish_many(scale.events // 2, "term", give_up_after=KILLED_GIVE_UP)
        )
        await world.publisher.until_acknowledged(scale.events // 4)
        world.node.signal(signal.SIGTERM)
        await world.node.wait_exit()
        leased_after_stop = await world.node.leased()
        done_before_stop = await world.node.deliveries_to(slow, "done")
        await world.node.start()
        restarted = time.monotonic()
        slow.reset_peak()
        await publishing
        fast_done = await wait_all_delivered(
            world.publisher, world.arrivals, fast_hosts, scale.lease_seconds + 30
        )
        # What the node had to send the slow follower after the restart: every row it holds
        # for it (publishing is over), less those it had finished before the stop.
        slow_left = await world.node.deliveries_to(slow) - done_before_stop
        concurrency = DeliveryWorker.per_host_connections  # where a host's pace starts
        slow_bound = slow_bound_seconds(slow_left, STOPPING_SLOW_ANSWER_SECONDS, concurrency)
        finished = await until_everything_arrived(world, 2 * slow_bound)
        slow_pairs = [(event, slow.host) for event in world.publisher.acknowledged]
        slow_recovery = None
        if finished:
            last = max((world.arrivals.first_at[pair] for pair in slow_pairs), default=restarted)
            slow_recovery = round(max(0.0, last - restarted), 2)
        answers = [at for at in slow.answered_at if at > restarted]
        # Requests answered after the restart times the answer time, over the time they took:
        # how many the node kept in flight at once, on average.
        slow_concurrency = (
            round(len(answers) * STOPPING_SLOW_ANSWER_SECONDS / (answers[-1] - restarted), 2)
            if answers
            else None
        )
        fast_recovery = None if fast_done is None else max(0.0, fast_done - restarted)
        line = await report(
            world,
            "sigterm_under_load",
            world.hosts,
            fast_recovery,
            SIGTERM_BOUND_SECONDS,
            leased_after_stop=leased_after_stop,
            fast_recovery_seconds=None if fast_recovery is None else round(fast_recovery, 2),
            slow_recovery_seconds=slow_recovery,
            slow_bound_seconds=round(slow_bound, 1),
            slow_deliveries_after_restart=slow_left,
            slow_answer_seconds=STOPPING_SLOW_ANSWER_SECONDS,
            slow_starting_concurrency=concurrency,
            slow_mean_concurrency=slow_concurrency,
            slow_peak_concurrency=slow.peak_in_flight,
            lease_seconds=scale.lease_seconds,
        )
        line["ok"] = (
            line["ok"]
            and leased_after_stop == 0
            and slow_recovery is not None
            and slow_recovery <= slow_bound
        )
        return line
    finally:
        await tear_down(world)
