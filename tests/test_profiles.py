"""Members' profiles and consent, across real nodes: sharing, withdrawing, deleting, no leaks."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_federation_network import accepted, follow

ESCO_WELDING = "http://data.europa.eu/esco/skill/4d9a0a3c-8f2b-4a1e-b6a1-5b2f0c2f6e0a"


async def new_member(node: NetworkNode, username: str) -> str:
    """A member account on `node`; returns its token."""
    admin = await log_in(node)
    status, body = await call(
        node,
        "POST",
        "/api/v1/accounts",
        token=admin,
        body={"username": username, "email": f"{username}@example.org", "password": "p" * 12},
    )
    assert status == 201, body
    return await log_in(node, username, "p" * 12)


def profile_body(marker: str) -> dict[str, Any]:
    return {
        "name": f"Camille {marker}",
        "bio": f"<p>Soudeuse <script>alert(1)</script>{marker}-bio</p>",
        "skills": [{"name": "soudure", "uri": ESCO_WELDING}, {"name": f"{marker}-skill"}],
        "links": [{"label": "site", "url": f"https://example.org/{marker}"}],
        "avatar": f"https://example.org/{marker}.png",
    }


async def set_visibility(node: NetworkNode, token: str, visibility: str) -> dict[str, Any]:
    status, body = await call(
        node, "PUT", "/api/v1/me/profile/visibility", token=token, body={"visibility": visibility}
    )
    assert status == 200, body
    return dict(body)


async def remote_profile(node: NetworkNode, person: str) -> dict[str, Any] | None:
    row = await node.fetchval(
        "SELECT row_to_json(p)::text FROM remote_profiles p WHERE person = $1", person
    )
    return None if row is None else dict(json.loads(row))


async def mende_with_two_followers(
    network: LoopbackNetwork,
) -> tuple[NetworkNode, list[NetworkNode]]:
    mende = await network.add("mende")
    florac = await network.add("florac")
    villefort = await network.add("villefort")
    await network.start_all()
    for neighbour in (florac, villefort):
        await follow(neighbour, mende)
    for neighbour in (florac, villefort):
        await wait_until(
            lambda n=neighbour: accepted(mende, n.place, mende.place), what="the follow on mende"
        )
    return mende, [florac, villefort]


async def shared_everywhere(neighbours: list[NetworkNode], person: str) -> bool:
    return all([await remote_profile(n, person) is not None for n in neighbours])


async def gone_everywhere(neighbours: list[NetworkNode], person: str) -> bool:
    return all([await remote_profile(n, person) is None for n in neighbours])


async def share_profile(mende: NetworkNode, neighbours: list[NetworkNode]) -> tuple[str, str]:
    token = await new_member(mende, "camille")
    status, body = await call(
        mende, "PUT", "/api/v1/me/profile", token=token, body=profile_body("M1")
    )
    assert status == 200, body
    assert body["visibility"] == "private"
    assert "<script>" not in body["bio"]
    person = body["actor"]
    assert await set_visibility(mende, token, "network")
    await wait_until(lambda: shared_everywhere(neighbours, person), what="the profile on both")
    return token, person


async def test_a_shared_profile_reaches_both_neighbours_and_withdrawing_removes_it(
    network: LoopbackNetwork,
) -> None:
    mende, neighbours = await mende_with_two_followers(network)
    token, person = await share_profile(mende, neighbours)

    for neighbour in neighbours:
        stored = await remote_profile(neighbour, person)
        assert stored is not None
        assert stored["place"] == mende.place
        assert stored["name"] == "Camille M1"
        assert "M1-bio" in stored["bio"]
        assert "script" not in stored["bio"]
        assert stored["skills"] == [
            {"name": "soudure", "uri": ESCO_WELDING},
            {"name": "M1-skill", "uri": None},
        ]
        assert stored["links"] == [{"label": "site", "url": "https://example.org/M1"}]
        assert stored["avatar"] == "https://example.org/M1.png"

    # An edit of a shared profile reaches the neighbours too.
    status, _ = await call(mende, "PUT", "/api/v1/me/profile", token=token, body=profile_body("M2"))
    assert status == 200

    async def edited_everywhere() -> bool:
        found = [await remote_profile(n, person) for n in neighbours]
        return all(p is not None and p["name"] == "Camille M2" for p in found)

    await wait_until(edited_everywhere, what="the edited profile on both")

    await set_visibility(mende, token, "members")
    await wait_until(lambda: gone_everywhere(neighbours, person), what="the withdrawal on both")
    for neighbour in neighbours:
        cached = await neighbour.fetchval(
            "SELECT count(*) FROM remote_actors WHERE uri = $1", person
        )
        assert cached == 0, "the cached Person document still holds the profile"
    outbox = await mende.get_json("/actors/place/outbox?page=1")
    assert person not in json.dumps(outbox), "the withdrawn profile is still in the outbox"
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{mende.port}/actors/camille",
            headers={"Accept": "application/activity+json"},
        ) as response,
    ):
        assert response.status == 404


async def test_deleting_the_account_removes_the_shared_profile_from_every_neighbour(
    network: LoopbackNetwork,
) -> None:
    mende, neighbours = await mende_with_two_followers(network)
    token, person = await share_profile(mende, neighbours)

    status, _ = await call(mende, "DELETE", "/api/v1/me", token=token)
    assert status == 204

    await wait_until(lambda: gone_everywhere(neighbours, person), what="the deletion on both")
    assert await mende.fetchval("SELECT count(*) FROM accounts WHERE username = 'camille'") == 0
    status, _ = await call(mende, "GET", "/api/v1/me", token=token)
    assert status == 401


async def test_only_the_owner_sees_a_private_profile_and_members_see_members_ones(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    alice = await new_member(mende, "alice")
    basile = await new_member(mende, "basile")
    await call(mende, "PUT", "/api/v1/me/profile", token=alice, body=profile_body("A"))
    await call(mende, "PUT", "/api/v1/me/profile", token=basile, body=profile_body("B"))

    status, seen = await call(mende, "GET", "/api/v1/profiles", token=basile)
    assert status == 200
    assert [p["username"] for p in seen] == ["basile"]

    await set_visibility(mende, alice, "members")
    status, seen = await call(mende, "GET", "/api/v1/profiles", token=basile)
    assert sorted(p["username"] for p in seen) == ["alice", "basile"]
    status, _ = await call(mende, "GET", "/api/v1/profiles")
    assert status == 401

    status, body = await call(
        mende, "PUT", "/api/v1/me/profile/visibility", token=alice, body={"visibility": "all"}
    )
    assert status == 422
    assert "visibility" in body["fields"]
    status, _ = await call(mende, "DELETE", "/api/v1/me", token=await log_in(mende))
    assert status == 409, "the last administrator must not delete their account"


async def page_text(node: NetworkNode, path: str, accept: str) -> str:
    """What anyone on the internet gets at `path`, whatever the status."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{node.port}{path}", headers={"Accept": accept}) as response,
    ):
        return f"{response.status} {await response.text()}"


async def everything_public(mende: NetworkNode) -> str:
    domain = mende.settings.domain
    paths = [
        "/actors/place",
        "/actors/place/outbox",
        "/actors/place/outbox?page=1",
        "/actors/place/followers?page=1",
        "/actors/place/following?page=1",
        "/actors/application",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.1",
        "/.well-known/host-meta",
    ]
    for name in ("nadia", "paul", "marie"):
        paths += [
            f"/actors/{name}",
            f"/actors/{name}/outbox?page=1",
            f"/.well-known/webfinger?resource=acct:{name}@{domain}",
        ]
    texts = []
    for path in paths:
        for accept in ("application/activity+json", "text/html"):
            texts.append(await page_text(mende, path, accept))
    return "\n".join(texts)


async def test_private_and_members_profiles_never_leave_the_node(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    await follow(florac, mende)
    await wait_until(lambda: accepted(mende, florac.place, mende.place), what="the follow")

    nadia = await new_member(mende, "nadia")  # shares: the control that the capture works
    paul = await new_member(mende, "paul")  # keeps the default, private
    marie = await new_member(mende, "marie")  # members of the place only
    await call(mende, "PUT", "/api/v1/me/profile", token=paul, body=profile_body("PRIVXQ17"))
    await call(mende, "PUT", "/api/v1/me/profile", token=marie, body=profile_body("MEMBXQ29"))
    await set_visibility(mende, marie, "members")
    await call(mende, "PUT", "/api/v1/me/profile", token=marie, body=profile_body("MEMBXQ29"))
    await set_visibility(mende, paul, "private")
    await call(mende, "PUT", "/api/v1/me/profile", token=nadia, body=profile_body("NETWXQ41"))
    await set_visibility(mende, nadia, "network")
    nadia_actor = f"{mende.base}/actors/nadia"
    await wait_until(lambda: remote_profile(florac, nadia_actor), what="nadia's shared profile")

    async def deliveries_settled() -> bool:
        pending = await mende.fetchval("SELECT count(*) FROM deliveries WHERE state = 'pending'")
        return pending == 0

    await wait_until(deliveries_settled, what="mende's deliveries to finish")
    sent = await mende.fetchval("SELECT string_agg(payload::text, ' ') FROM outbox_activities")
    received = ""
    for table in ("inbox_activities", "remote_actors", "remote_profiles", "remote_keys"):
        query = f"SELECT string_agg(to_jsonb(t)::text, ' ') FROM {table} t"
        received += f" {await florac.fetchval(query)}"
    public = await everything_public(mende)

    assert "NETWXQ41" in sent, "the capture saw nothing"
    assert "NETWXQ41" in received, "the capture saw nothing"
    for marker in ("PRIVXQ17", "MEMBXQ29"):
        assert marker not in sent, f"{marker} is in an outgoing activity"
        assert marker not in received, f"{marker} reached florac"
        assert marker not in public, f"{marker} is on a public page"
    status, seen = await call(mende, "GET", "/api/v1/profiles", token=nadia)
    assert status == 200
    assert "MEMBXQ29" in json.dumps(seen)
    assert "PRIVXQ17" not in json.dumps(seen)
