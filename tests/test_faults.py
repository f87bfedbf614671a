"""The fault suite of bench/faults at its bounded CI size: real `maillage serve` processes,
fake followers, SIGKILL, SIGTERM, a receiver down, a slow receiver, PostgreSQL stopped under
load, bursts of one Idempotency-Key. Each scenario prints its JSON line; a scenario fails when
anything acknowledged is missing or its recovery bound is exceeded (`python -m bench.faults`
runs the full size)."""

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
from bench.faults.scenarios import CI, SCENARIOS

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

NEEDS_BREAKER = pytest.mark.xfail(
    strict=False,
    reason="needs the probing circuit breaker with a short pause schedule (branch "
    "delivery-breaker): today a host down for seconds is paused for hours",
)
NEEDS_FAIRNESS = pytest.mark.xfail(
    strict=False,
    reason="needs per-host fair delivery (branch delivery-breaker): today a batch waits for "
    "its slowest host",
)
EXPECTED_TO_FAIL_HERE = {
    "receiver_down": NEEDS_BREAKER,
    "slow_receiver": NEEDS_FAIRNESS,
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fault_cluster(open_temp_root: Path) -> AsyncIterator[StoppableCluster]:
    folder = Path(tempfile.mkdtemp(prefix="faults-", dir=open_temp_root))
    async with cluster(folder / "cluster") as made:
        yield made


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=EXPECTED_TO_FAIL_HERE.get(name, ())) for name in SCENARIOS],
)
async def test_fault(name: str, fault_cluster: StoppableCluster, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as session:
        line = await SCENARIOS[name](tmp_path / name, fault_cluster, session, CI)
    print(json.dumps(line, sort_keys=True))
    assert line["missing"] == 0, line
    assert line["ok"], line
