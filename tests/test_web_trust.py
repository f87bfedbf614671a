"""The trust lists page: the coordinator publishes its list from the page, another place follows
it in review mode and accepts a proposal, in French and English; forms need their CSRF token and
an administrator."""

from __future__ import annotations

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import member
from tests.web_client import WebClient

PAGE = "/manage/moderation/trust"


async def test_publish_follow_and_review_a_list_from_the_page(network: LoopbackNetwork) -> None:
    coordinator = await network.add("coordination")
    mende = await network.add("mende")
    await network.start_all()
    list_url = f"{coordinator.base}/trust-list"
    async with WebClient(coordinator) as coord, WebClient(mende) as admin:
        await coord.sign_in()
        status, page = await coord.get(PAGE)
        assert status == 200
        assert "Listes de confiance" in page
        status, _, _ = await coord.post(f"{PAGE}/publish", {"published": "on", "name": "Lozère"})
        assert status == 303
        await coord.get(PAGE)
        status, _, page = await coord.post(
            f"{PAGE}/entries", {"domain": "not a domain", "policy": "suspend"}
        )
        assert status == 422
        assert 'id="e-domain"' in page
        status, location, _ = await coord.post(
            f"{PAGE}/entries",
            {"domain": "Spam.Example", "policy": "suspend", "public_reason": "<b>spam</b>"},
        )
        assert (status, location) == (303, PAGE)
        _, page = await coord.get(PAGE)
        assert "spam.example" in page
        assert "&lt;b&gt;spam&lt;/b&gt;" in page
        document = await coordinator.get_json("/trust-list")
        assert document["orderedItems"][0]["domain"] == "spam.example"

        await admin.sign_in()
        await admin.get(PAGE)
        # Without the form's token, nothing changes.
        status, _, _ = await admin.post(f"{PAGE}/subscribe", {"url": list_url}, csrf="forged")
        assert status == 403
        assert await mende.fetchval("SELECT count(*) FROM trust_subscriptions") == 0
        await admin.get(PAGE)
        status, _, page = await admin.post(
            f"{PAGE}/subscribe", {"url": "https://nothing.invalid/x"}
        )
        assert status == 422
        assert 'id="e-url"' in page
        status, location, _ = await admin.post(
            f"{PAGE}/subscribe", {"url": list_url, "mode": "review"}
        )
        assert (status, location) == (303, PAGE)
        _, page = await admin.get(f"{PAGE}?lang=en")
        assert "Changes to review" in page
        assert "becomes suspended" in page
        proposal = await mende.fetchval(
            "SELECT id FROM trust_proposals WHERE domain = 'spam.example'"
        )
        status, _, _ = await admin.post(f"{PAGE}/proposals/{proposal}/accept", {})
        assert status == 303
        assert (
            await mende.fetchval(
                "SELECT severity FROM domain_policies WHERE domain = 'spam.example' "
                "AND source = $1",
                list_url,
            )
            == "suspend"
        )
        _, page = await admin.get(f"{PAGE}?lang=fr")
        assert "Rien à examiner." in page

        await wait_until(
            lambda: _subscribers(coordinator), what="mende's follow of the list at the coordinator"
        )
        await admin.get(PAGE)
        status, _, _ = await admin.post(f"{PAGE}/unsubscribe", {"url": list_url})
        assert status == 303
        assert await mende.fetchval("SELECT count(*) FROM domain_policies") == 0

    # A member who is not an administrator gets neither the page nor the API.
    token = await member(mende, await log_in(mende), "camille", shared=False)
    status, _ = await call(mende, "GET", "/api/v1/moderation/trust-lists", token=token)
    assert status == 403
    async with WebClient(mende) as camille:
        await camille.sign_in("camille", "y" * 12)
        status, _ = await camille.get(PAGE)
        assert status == 403


async def _subscribers(node: NetworkNode) -> bool:
    return await node.fetchval("SELECT count(*) FROM trust_list_subscribers") == 1
