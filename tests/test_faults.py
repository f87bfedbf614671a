"""The fault suite of bench/faults at its bounded CI size: real `maillage serve` processes,
fake followers, SIGKILL, SIGTERM, a receiver down, a slow receiver, PostgreSQL stopped under
load, bursts of one Idempotency-Key. Each scenario prints its JSON line; a scenario fails when
anything acknowledged is missing (lost) or late (still pending when it stopped waiting), or its
recovery bound is exceeded (`python -m bench.faults` runs the full size)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from bench.faults.harness import StoppableCluster, cluster
from bench.faults.scenarios import SCENARIOS
from bench.faults.world import CI

pytestmark = [
    pytest.mark.slow,
    pytest.mark.faults,
    # The suite runs on a PostgreSQL of its own, which it stops and starts: DATABASE_URL does
    # not change what it measures, so CI's second pass (on DATABASE_URL) does not run it again.
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")) and not os.environ.get("MAILLAGE_FAULTS"),
        reason="runs its own PostgreSQL: run on the embedded pass, or set MAILLAGE_FAULTS=1",
    ),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fault_cluster(open_temp_root: Path) -> AsyncIterator[StoppableCluster]:
    folder = Path(tempfile.mkdtemp(prefix="faults-", dir=open_temp_root))
    async with cluster(folder / "cluster") as made:
        yield made


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_fault(name: str, fault_cluster: StoppableCluster, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as session:
        line = await SCENARIOS[name](tmp_path / name, fault_cluster, session, CI)
    print(json.dumps(line, sort_keys=True))
    assert (line["missing"], line["late"]) == (0, 0), line
    if name == "slow_receiver":
        # At CI size the fast followers' rate rests on a few dozen deliveries in a tenth of a
        # second: a figure for `python -m bench.faults` at full size, not a test. That a slow
        # follower holds nobody up is proved without timing by tests/test_fair_delivery.py.
        return
    assert line["ok"], line
