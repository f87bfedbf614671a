"""Issue 11, parts 5 and 7: a network's coordinator protects every member node with one list.

Three real nodes on loopback: the coordinator publishes a trust list; Mende and Florac subscribe
to it (auto). A fake place on its own host name (`spam.test`, a signing peer on the hostile
server) published an event to both, which they followed. The coordinator then suspends
`spam.test`: its Update reaches both subscribers, which refetch the list, check its proof and
apply it, so the spammer's event leaves both agendas and every inbox of both answers it 403.
Then: a review-mode subscriber gets a proposal instead; a local decision beats the list;
unsubscribing lifts what came only from the list; a tampered list is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.hostile import HostileActor, HostileServer, deliver, hostile_server, rsa_key
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_federation_network import accepted, follow
from tests.test_unfollow_network import names_in_agenda
from tests.web_client import WebClient

SPAM = "spam.test"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BASE = "/api/v1/moderation/trust-lists"
INBOXES = ("/inbox", "/actors/place/inbox")


@dataclass
class Network:
    coordinator: NetworkNode
    mende: NetworkNode
    florac: NetworkNode
    server: HostileServer
    spammer: HostileActor
    tokens: dict[str, str]

    @property
    def list_url(self) -> str:
        return f"{self.coordinator.base}/trust-list"

    async def api(self, node: NetworkNode, method: str, path: str, body: Any = None) -> Any:
        status, answer = await call(node, method, path, token=self.tokens[node.name], body=body)
        assert status in (200, 201), (status, answer)
        return answer

    async def publish_entry(self, domain: str, policy: str, reason: str = "") -> Any:
        return await self.api(
            self.coordinator,
            "POST",
            f"{BASE}/published/entries",
            {"domain": domain, "policy": policy, "public_reason": reason},
        )

    async def subscribe(self, node: NetworkNode, mode: str = "auto") -> Any:
        return await self.api(node, "POST", BASE, {"url": self.list_url, "mode": mode})

    def spam_event(self, name: str) -> dict[str, Any]:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
        event = {
            "id": self.spammer.next_id("events"),
            "type": "Event",
            "name": name,
            "attributedTo": self.spammer.uri,
            "startTime": start.isoformat(),
            "to": [PUBLIC],
        }
        return self.spammer.activity("Create", event, to=[PUBLIC])


async def severity(node: NetworkNode, domain: str, source: str = "") -> str | None:
    found: str | None = await node.fetchval(
        "SELECT severity FROM domain_policies WHERE domain = $1 AND source = $2", domain, source
    )
    return found


async def start(
    network: LoopbackNetwork, *names: str, limited: tuple[str, ...] = ()
) -> list[NetworkNode]:
    """Nodes that also reach the fake peer's host name (on the hostile server, on loopback);
    those named in `limited` federate only with the domains they allow."""
    nodes = [await network.add(name) for name in names]
    hosts = {**network.host_map(), SPAM: "127.0.0.1"}
    for node in network.nodes.values():
        node.settings = node.settings.model_copy(
            update={"dev_hosts": hosts, "limited_federation": node.name in limited}
        )
    for node in nodes:
        await node.start()
    return nodes


@pytest.fixture
async def scene(network: LoopbackNetwork) -> AsyncIterator[Network]:
    async with hostile_server() as server:
        coordinator, mende, florac = await start(network, "coordination", "mende", "florac")
        spammer = HostileActor(server, SPAM, "spammer", rsa_key(0))
        spammer.publish(type="Group")
        tokens = {node.name: await log_in(node) for node in (coordinator, mende, florac)}
        made = Network(coordinator, mende, florac, server, spammer, tokens)
        # Mende and Florac follow the spammer's place, which published an event to them.
        for node in (mende, florac):
            await node.fetchval(
                "INSERT INTO follows (follower, followed, follow_activity_id, state) "
                "VALUES ($1, $2, $3, 'accepted') RETURNING 1",
                node.place,
                spammer.uri,
                f"{node.place}#follows-spammer",
            )
        created = made.spam_event("Soirée crypto gratuite")
        for node in (mende, florac):
            answer = await deliver(node, spammer, created)
            assert answer.status == 202, answer
        for node in (mende, florac):
            await wait_until(
                lambda n=node: _shows(n, "Soirée crypto gratuite"), what="the spam event"
            )
        # The coordinator's list: its members, published.
        await made.api(
            coordinator, "POST", f"{BASE}/published", {"published": True, "name": "Lozère"}
        )
        for node in (coordinator, mende, florac):
            await made.publish_entry(node.settings.domain or "", "member", "membre du réseau")
        yield made


async def _shows(node: NetworkNode, name: str) -> bool:
    return name in await names_in_agenda(node)


async def test_a_coordinators_suspension_reaches_every_subscriber_in_one_refresh(
    scene: Network,
) -> None:
    coordinator, mende, florac = scene.coordinator, scene.mende, scene.florac
    for node in (mende, florac):
        subscribed = await scene.subscribe(node)
        assert subscribed["version"] == 4  # published, then three members
        # `member` entries feed the allowlist of limited federation mode.
        assert await severity(node, coordinator.settings.domain or "", scene.list_url) == "allow"
    await wait_until(
        lambda: _subscribers(coordinator, 2), what="both follows of the list at the coordinator"
    )

    # One change at the coordinator: the Update makes both refetch (the periodic refresh is an
    # hour away), check the proof and apply it.
    await scene.publish_entry(SPAM, "suspend", "spam")
    for node in (mende, florac):
        await wait_until(
            lambda n=node: _hides(n, "Soirée crypto gratuite"), what=f"the purge on {node.name}"
        )
        assert await severity(node, SPAM, scene.list_url) == "suspend"
        assert (
            await node.fetchval(
                "SELECT count(*) FROM remote_actors WHERE uri = $1", scene.spammer.uri
            )
            == 0
        )
    # Every inbox of both refuses the spammer from now on.
    for node in (mende, florac):
        for path in INBOXES:
            later = scene.spam_event("Encore du spam")
            answer = await deliver(node, scene.spammer, later, path=path)
            assert answer.status == 403, (node.name, path, answer)
    logged = await mende.fetchval(
        "SELECT who FROM moderation_log WHERE action = 'domain.suspend' AND target = $1", SPAM
    )
    assert logged == f"trust list {scene.list_url}"

    # A local decision beats the list: Florac allows the domain itself; the list's row stays.
    await _local_allow(florac, SPAM)
    # Unsubscribing lifts what came only from the list: Mende's row goes; Florac's own stays.
    for node in (mende, florac):
        left = await scene.api(node, "DELETE", BASE, {"url": scene.list_url})
        assert SPAM in left["lifted"]
        assert await severity(node, SPAM, scene.list_url) is None
    assert await severity(mende, SPAM) is None
    assert await severity(florac, SPAM) == "allow"
    await wait_until(lambda: _subscribers(coordinator, 0), what="both Undos at the coordinator")


async def _subscribers(node: NetworkNode, count: int) -> bool:
    return await node.fetchval("SELECT count(*) FROM trust_list_subscribers") == count


async def _hides(node: NetworkNode, name: str) -> bool:
    return not await _shows(node, name)


async def _local_allow(node: NetworkNode, domain: str) -> None:
    """The place's own decision, through the moderation API."""
    token = await log_in(node)
    status, body = await call(
        node, "PUT", f"/api/v1/moderation/domains/{domain}", token=token,
        body={"severity": "allow"},
    )  # fmt: skip
    assert status == 200, body


async def test_a_review_subscriber_gets_proposals_and_a_local_decision_beats_the_list(
    scene: Network,
) -> None:
    mende, florac = scene.mende, scene.florac
    await _local_allow(florac, SPAM)  # Florac's own decision, before the list says anything
    await scene.subscribe(mende, mode="review")
    await scene.subscribe(florac, mode="auto")
    await wait_until(lambda: _subscribers(scene.coordinator, 2), what="both follows")
    proposals = await scene.api(mende, "GET", f"{BASE}/proposals")
    assert {(p["domain"], p["severity"]) for p in proposals} == {
        (node.settings.domain, "allow") for node in (scene.coordinator, florac)
    }  # its own domain is left out
    assert await mende.fetchval("SELECT count(*) FROM domain_policies") == 0

    await scene.publish_entry(SPAM, "suspend", "spam")

    async def proposed() -> Any:
        found = await scene.api(mende, "GET", f"{BASE}/proposals")
        return [p for p in found if p["domain"] == SPAM] or None

    (proposal,) = await wait_until(proposed, what="the proposal on mende")
    assert (proposal["change"], proposal["severity"], proposal["public_reason"]) == (
        "set", "suspend", "spam",
    )  # fmt: skip
    # Nothing applied on the review subscriber: the spam event is still shown.
    assert await _shows(mende, "Soirée crypto gratuite")
    # Florac applied the list, but its own `allow` wins: nothing purged, nothing refused.
    await wait_until(
        lambda: _severity_is(florac, SPAM, scene.list_url, "suspend"), what="florac's list row"
    )
    assert await _shows(florac, "Soirée crypto gratuite")
    answer = await deliver(florac, scene.spammer, scene.spam_event("Toujours là"))
    assert answer.status == 202

    # Refusing is remembered; accepting applies the change as coming from the list.
    member_proposal = next(p for p in await scene.api(mende, "GET", f"{BASE}/proposals")
                           if p["domain"] != SPAM)  # fmt: skip
    await scene.api(mende, "POST", f"{BASE}/proposals/{member_proposal['id']}/refuse")
    accepted = await scene.api(mende, "POST", f"{BASE}/proposals/{proposal['id']}/accept")
    assert accepted["state"] == "accepted"
    assert await severity(mende, SPAM, scene.list_url) == "suspend"
    await wait_until(lambda: _hides(mende, "Soirée crypto gratuite"), what="the purge on mende")
    status, again = await call(
        mende, "POST", f"{BASE}/proposals/{proposal['id']}/accept", token=scene.tokens["mende"]
    )
    assert status == 404, again


async def _severity_is(node: NetworkNode, domain: str, source: str, wanted: str) -> bool:
    return await severity(node, domain, source) == wanted


async def test_a_tampered_list_is_refused_and_changes_nothing(scene: Network) -> None:
    coordinator, mende = scene.coordinator, scene.mende
    await scene.subscribe(mende)
    # Someone changes the served list without the coordinator's key: a domain is suspended.
    await coordinator.fetchval(
        "UPDATE trust_list_state SET document = jsonb_set(jsonb_set(document, "
        "'{orderedItems,0,policy}', '\"suspend\"'), '{version}', '99') RETURNING 1"
    )
    before = await mende.fetchval("SELECT count(*) FROM moderation_log")
    await mende.fetchval("UPDATE trust_subscriptions SET next_fetch_at = now() RETURNING 1")

    async def refused() -> str | None:
        error: str = await mende.fetchval("SELECT last_error FROM trust_subscriptions")
        return error or None

    error = await wait_until(refused, what="the refetch refused")
    assert error.startswith("the list's proof: ")
    code, detail = await mende.fetchval(
        "SELECT ARRAY[last_error_code, last_error_detail] FROM trust_subscriptions"
    )
    assert (code, detail) == ("trust-list-bad-proof", error.removeprefix("the list's proof: "))
    # The page says it in its language, the detail beside; the API gives the code too.
    async with WebClient(mende) as admin:
        await admin.sign_in()
        _, page = await admin.get("/manage/moderation/trust")
        assert "La signature de la liste ne se vérifie pas." in page
        assert "the list&#39;s proof" not in page
        _, page = await admin.get("/manage/moderation/trust?lang=en")
        assert "The list&#39;s signature does not verify." in page
    status, listed = await call(mende, "GET", BASE, token=scene.tokens["mende"])
    assert status == 200, listed
    assert [(s["last_error_code"], s["last_error"]) for s in listed] == [
        ("trust-list-bad-proof", error)
    ]
    assert await mende.fetchval("SELECT version FROM trust_subscriptions") == 4
    assert await mende.fetchval("SELECT count(*) FROM moderation_log") == before
    assert set(
        await mende.fetchval("SELECT array_agg(DISTINCT severity) FROM domain_policies")
    ) == {"allow"}
    # A new subscriber is refused at once, with the reason.
    status, answer = await call(
        scene.florac, "POST", BASE, token=scene.tokens["florac"], body={"url": scene.list_url}
    )
    assert status == 422, answer
    assert (answer["code"], answer["error"][:18]) == ("trust-list-bad-proof", "the list's proof: ")
    assert await scene.florac.fetchval("SELECT count(*) FROM trust_subscriptions") == 0


async def test_member_entries_are_the_allowlist_of_limited_federation(
    network: LoopbackNetwork,
) -> None:
    """Mende federates only with what it allows: its coordinator (its own decision) and, through
    the list, the network's members. Florac, a member, may follow it; once the list drops
    Florac, Mende refuses it."""
    coordinator, mende, florac = await start(
        network, "coordination", "mende", "florac", limited=("mende",)
    )
    tokens = {node.name: await log_in(node) for node in (coordinator, mende, florac)}
    list_url = f"{coordinator.base}/trust-list"
    status, body = await call(
        coordinator, "POST", f"{BASE}/published", token=tokens["coordination"],
        body={"published": True},
    )  # fmt: skip
    assert status == 200, body
    for node in (coordinator, mende, florac):
        status, body = await call(
            coordinator, "POST", f"{BASE}/published/entries", token=tokens["coordination"],
            body={"domain": node.settings.domain, "policy": "member"},
        )  # fmt: skip
        assert status == 200, body
    await _local_allow(mende, coordinator.settings.domain or "")
    status, body = await call(mende, "POST", BASE, token=tokens["mende"], body={"url": list_url})
    assert status == 201, body

    await follow(florac, mende)
    await wait_until(lambda: accepted(florac, florac.place, mende.place), what="mende's Accept")

    florac_host = florac.settings.domain or ""
    assert not mende.services.domain_policies.refuses(florac_host)
    status, body = await call(
        coordinator, "DELETE", f"{BASE}/published/entries", token=tokens["coordination"],
        body={"domain": florac_host},
    )  # fmt: skip
    assert status == 200, body

    async def refused() -> bool:
        return mende.services.domain_policies.refuses(florac_host)

    await wait_until(refused, what="mende to refuse florac once the list drops it")
