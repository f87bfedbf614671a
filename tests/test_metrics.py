"""/metrics: off without a token, refused with a wrong one, and with the right one the queues,
the inbox's refusals and the request latencies of a live node."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp

from server.metrics.http import INBOX_REFUSALS
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import log_in
from tests.test_events_network import publish_event
from tests.test_federation_network import accepted, follow
from tests.test_unfollow_network import COMMON

TOKEN = "a-long-scraper-token-0123456789"


async def scrape(node: NetworkNode, token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{node.port}/metrics", headers=headers) as response,
    ):
        return response.status, await response.text()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the exposition text, or None when absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return None


async def test_metrics_are_off_without_a_token(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    status, _ = await scrape(mende, TOKEN)
    assert status == 404


async def test_metrics_show_queues_refusals_and_latencies(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    mende.settings = mende.settings.model_copy(update={"metrics_token": TOKEN})
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="the Accept")

    assert (await scrape(mende, None))[0] == 401
    assert (await scrape(mende, TOKEN + "x"))[0] == 401

    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{mende.port}/inbox",
            data=b'{"type": "Follow"}',
            headers={"Content-Type": "application/activity+json"},
        ) as refused,
    ):
        refusal = INBOX_REFUSALS[refused.status]

    await florac.stop()
    token = await log_in(mende)
    start = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    await publish_event(mende, token, **COMMON, name="Pour Florac absente", start_time=start)
    florac_host = florac.settings.domain
    assert florac_host is not None

    async def florac_waits() -> bool:
        _, text = await scrape(mende, TOKEN)
        return (sample(text, "maillage_deliveries_pending", host=florac_host) or 0) >= 1

    await wait_until(florac_waits, what="a pending delivery to florac in the metrics")
    status, text = await scrape(mende, TOKEN)
    assert status == 200
    assert sample(text, "maillage_inbox_requests_total", outcome=refusal) == 1
    assert (sample(text, "maillage_inbox_requests_total", outcome="accepted") or 0) >= 1
    count = sample(
        text,
        "maillage_http_request_duration_seconds_count",
        method="POST",
        route="/api/v1/events",
        status="2xx",
    )
    assert count == 1
    assert sample(text, "maillage_inbox_pending") is not None
    assert sample(text, "maillage_db_pool_connections") is not None
    assert sample(text, "maillage_stream_clients") == 0
