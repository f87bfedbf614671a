"""The skills search across real nodes: network-shared profiles only, ours and our neighbours'."""

from __future__ import annotations

from typing import Any

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_profiles import (
    ESCO_WELDING,
    mende_with_two_followers,
    new_member,
    profile_body,
    set_visibility,
)
from tests.web_client import WebClient


async def people(node: NetworkNode, query: str, token: str | None = None) -> list[dict[str, Any]]:
    status, body = await call(node, "GET", f"/api/v1/people?{query}", token=token)
    assert status == 200, body
    return list(body)


async def test_only_network_profiles_are_found_here_and_on_neighbours(
    network: LoopbackNetwork,
) -> None:
    mende, (florac, _villefort) = await mende_with_two_followers(network)
    tokens = {}
    for username, visibility in (("alice", "network"), ("bob", "members"), ("carol", "private")):
        token = await new_member(mende, username)
        status, body = await call(
            mende, "PUT", "/api/v1/me/profile", token=token, body=profile_body(username)
        )
        assert status == 200, body
        if visibility != "private":
            await set_visibility(mende, token, visibility)
        tokens[username] = token

    # On mende, even for a logged-in member who may see `members` profiles elsewhere.
    for token in (None, tokens["bob"]):
        found = await people(mende, "skill=soudure", token)
        assert [person["name"] for person in found] == ["Camille alice"]
    alice = found[0]
    assert alice["actor"] == f"{mende.base}/actors/alice"
    assert alice["place"] == mende.place
    assert alice["place_name"] == "Mende"
    assert alice["local"] is True
    assert {"name": "soudure", "uri": ESCO_WELDING} in alice["skills"]
    assert "<script>" not in alice["bio"]
    # By vocabulary URI, by another case, by free text; never bob or carol.
    assert [p["name"] for p in await people(mende, f"skill={ESCO_WELDING}")] == ["Camille alice"]
    assert [p["name"] for p in await people(mende, "skill=SOUDURE")] == ["Camille alice"]
    assert await people(mende, "skill=soud") == []  # a skill tag matches exactly
    assert await people(mende, "q=bob-bio") == []
    assert await people(mende, "q=carol") == []
    assert [p["name"] for p in await people(mende, "q=ALICE-skill")] == ["Camille alice"]
    everyone = await people(mende, "")
    assert [p["name"] for p in everyone] == ["Camille alice"]

    # On florac, which follows mende: alice's shared copy, with her place.
    async def on_florac() -> list[dict[str, Any]] | None:
        found = await people(florac, "skill=Soudure")
        return found or None

    remote = await wait_until(on_florac, what="alice's profile searchable on florac")
    assert [p["name"] for p in remote] == ["Camille alice"]
    assert remote[0]["actor"] == f"{mende.base}/actors/alice"
    assert remote[0]["place"] == mende.place
    assert remote[0]["place_name"] == "Mende"
    assert remote[0]["local"] is False
    assert [p["name"] for p in await people(florac, f"skill={ESCO_WELDING}")] == ["Camille alice"]
    assert await people(florac, "q=bob") == []

    # A member of florac who blocks alice no longer finds her, through the API as on the page;
    # the others still do, and a token that is no token is refused rather than ignored.
    dina = await new_member(florac, "dina")
    status, body = await call(
        florac, "POST", "/api/v1/me/blocks", token=dina, body={"target": remote[0]["actor"]}
    )
    assert status == 200, body
    assert await people(florac, "skill=soudure", dina) == []
    admin = await log_in(florac)
    assert [p["name"] for p in await people(florac, "skill=soudure", admin)] == ["Camille alice"]
    assert [p["name"] for p in await people(florac, "skill=soudure")] == ["Camille alice"]
    status, body = await call(florac, "GET", "/api/v1/people?skill=soudure", token="not-a-token")
    assert status == 401, body
    async with WebClient(florac) as browser:
        _, page = await browser.get("/people?skill=soudure")
        assert "Camille alice" in page
        await browser.sign_in("dina", "p" * 12)
        _, page = await browser.get("/people?skill=soudure")
        assert "Camille alice" not in page

    # Withdrawn: gone here at once, and from the neighbour's search once it hears of it.
    await set_visibility(mende, tokens["alice"], "members")
    assert await people(mende, "skill=soudure") == []

    async def gone() -> bool:
        return await people(florac, "skill=soudure") == []

    await wait_until(gone, what="alice's profile withdrawn from florac's search")


async def test_bad_people_queries_are_refused(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    for query in ("limit=0", "limit=abc", "skill=", "unknown=1", "skill=a&skill=b"):
        status, body = await call(mende, "GET", f"/api/v1/people?{query}")
        assert status == 422, (query, body)
        assert body["error"] == "invalid query"
