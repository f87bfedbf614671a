"""Per-host concurrency that adapts to the host's answers (server/workers/pacing.py)."""

from __future__ import annotations

import asyncio

from server.workers.pacing import HostPace
from tests.support import wait_until


def test_timely_answers_raise_the_limit_up_to_the_maximum() -> None:
    pace = HostPace(4.0, 8.0)
    assert (pace.concurrency, pace.depth) == (4, 8)
    for _ in range(100):
        pace.answered(0.05)
    assert (pace.concurrency, pace.depth) == (8, 16)


def test_pushback_halves_it_down_to_one() -> None:
    pace = HostPace(4.0, 8.0)
    pace.pushed_back()
    assert pace.concurrency == 2
    for _ in range(5):
        pace.pushed_back()
    assert pace.concurrency == 1


def test_answers_much_slower_than_the_best_lower_it() -> None:
    pace = HostPace(4.0, 8.0)
    pace.answered(0.05)
    before = pace.limit
    pace.answered(1.0)  # queueing at the host
    assert pace.limit < before
    # A host that is slow but steady (2 s every time) is not punished for it.
    steady = HostPace(4.0, 8.0)
    for _ in range(40):
        steady.answered(2.0)
    assert steady.concurrency == 8


async def test_no_more_than_the_limit_are_sent_at_once() -> None:
    pace = HostPace(2.0, 8.0)
    inside = 0
    most = 0
    release = asyncio.Event()

    async def send() -> None:
        nonlocal inside, most
        async with pace.slot():
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(send()) for _ in range(5)]

    async def two_sending() -> bool:
        return inside == 2

    await wait_until(two_sending, what="two deliveries sending")
    assert pace.sending == 2
    release.set()
    await asyncio.gather(*tasks)
    assert most == 2
