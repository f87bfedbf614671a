"""The REST API for neighbours and deliveries, against real nodes on loopback."""

from __future__ import annotations

from typing import Any

import aiohttp

from server.passwords import hash_password
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import wait_until
from tests.test_federation_network import accepted, follow_state


async def call(
    node: NetworkNode,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    raw: bytes | None = None,
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            f"http://127.0.0.1:{node.port}{path}",
            json=body if raw is None else None,
            data=raw,
            headers=headers,
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


async def log_in(node: NetworkNode, username: str = "admin", password: str = "x" * 12) -> str:
    status, body = await call(
        node, "POST", "/api/v1/auth/login", body={"username": username, "password": password}
    )
    assert status == 200, body
    token: str = body["token"]
    return token


async def test_an_administrator_follows_and_unfollows_a_neighbour(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    token = await log_in(mende)

    status, body = await call(
        mende, "POST", "/api/v1/neighbours", token=token, body={"target": florac.handle}
    )
    assert status == 202, body
    assert body == {"actor": florac.place, "state": "pending"}
    await wait_until(lambda: accepted(mende, mende.place, florac.place), what="the Accept")

    status, listed = await call(mende, "GET", "/api/v1/neighbours", token=token)
    assert status == 200
    assert [(n["actor"], n["we_follow"], n["handle"]) for n in listed] == [
        (florac.place, "accepted", f"place@{florac.settings.domain}")
    ]
    status, deliveries = await call(mende, "GET", "/api/v1/deliveries", token=token)
    assert status == 200
    assert [(d["host"], d["done"]) for d in deliveries] == [(florac.settings.domain, 1)]

    status, body = await call(
        mende, "DELETE", "/api/v1/neighbours", token=token, body={"target": florac.place}
    )
    assert status == 200, body

    async def gone_on_florac() -> bool:
        return await follow_state(florac, mende.place, florac.place) is None

    assert await wait_until(gone_on_florac, what="the Undo to reach florac")
    assert await follow_state(mende, mende.place, florac.place) is None


async def test_bad_requests_get_precise_errors_and_change_nothing(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)

    assert (await call(mende, "GET", "/api/v1/neighbours"))[0] == 401
    status, body = await call(mende, "GET", "/api/v1/neighbours", token="forged")
    assert (status, body["error"]) == (401, "the token is unknown or expired")
    status, body = await call(
        mende, "POST", "/api/v1/auth/login", body={"username": "admin", "password": "wrong"}
    )
    assert (status, body["error"]) == (401, "invalid username or password")

    status, body = await call(mende, "POST", "/api/v1/neighbours", token=token, body={})
    assert status == 422
    assert set(body["fields"]) == {"target"}
    status, body = await call(
        mende, "POST", "/api/v1/neighbours", token=token, body={"target": "nobody"}
    )
    assert status == 422
    assert "neither a URL nor a handle" in body["error"]
    status, body = await call(mende, "POST", "/api/v1/neighbours", token=token, raw=b"{not json")
    assert status == 400
    assert body["error"].startswith("the body must be JSON: body is not valid JSON (")
    status, body = await call(
        mende, "POST", "/api/v1/neighbours", token=token,
        body={"target": "someone@unreachable.test"},
    )  # fmt: skip
    assert status == 422
    assert "WebFinger lookup of acct:someone@unreachable.test failed" in body["error"]
    assert await mende.fetchval("SELECT count(*) FROM follows") == 0
    assert await mende.fetchval("SELECT count(*) FROM outbox_activities") == 0


async def test_members_may_not_manage_neighbours(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    await mende.fetchval(
        "INSERT INTO accounts (username, email, role, password_hash) "
        "VALUES ('lea', 'lea@example.org', 'member', $1) RETURNING id",
        hash_password("lea-password-1"),
    )
    token = await log_in(mende, "lea", "lea-password-1")
    status, body = await call(mende, "GET", "/api/v1/deliveries", token=token)
    assert (status, body["error"]) == (403, "this needs the role administrator")


async def test_the_openapi_document_describes_every_route(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    status, document = await call(mende, "GET", "/api/openapi.json")
    assert status == 200
    assert document["openapi"] == "3.1.0"
    login = document["paths"]["/api/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LoginRequest"
    }
    assert "security" not in login
    neighbours = document["paths"]["/api/v1/neighbours"]
    assert set(neighbours) == {"get", "post", "delete"}
    assert neighbours["post"]["security"] == [{"bearer": []}]
    assert "202" in neighbours["post"]["responses"]
    assert "422" in neighbours["post"]["responses"]
    schemas = document["components"]["schemas"]
    assert {"LoginRequest", "TokenResponse", "FollowRequest", "ApiError"} <= set(schemas)
    assert schemas["FollowRequest"]["required"] == ["target"]
    stream = document["paths"]["/api/v1/stream"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    assert {"kinds", "scope", "Last-Event-ID"} <= {p["name"] for p in stream["parameters"]}
    assert "patch" in document["paths"]["/api/v1/me/profile"]


async def test_administrators_create_accounts_with_private_person_actors(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    new = {"username": "lea", "email": "lea@example.org", "password": "lea-password-1"}
    status, body = await call(mende, "POST", "/api/v1/accounts", token=token, body=new)
    assert status == 201, body
    assert body["role"] == "member"
    assert body["actor"] == f"{mende.base}/actors/lea"
    assert await mende.fetchval("SELECT visibility FROM local_actors WHERE name = 'lea'") == (
        "private"
    )
    assert await mende.fetchval("SELECT count(*) FROM actor_keys WHERE actor_name = 'lea'") == 2

    status, body = await call(mende, "POST", "/api/v1/accounts", token=token, body=new)
    assert (status, body["fields"]) == (422, {"username": "'lea' is already taken"})
    bad = {"username": "Léa!", "email": "nope", "password": "short", "role": "king"}
    status, body = await call(mende, "POST", "/api/v1/accounts", token=token, body=bad)
    assert status == 422
    assert set(body["fields"]) == {"username", "email", "password", "role"}
    status, body = await call(
        mende, "POST", "/api/v1/accounts", token=token, body={**new, "username": "place"}
    )
    assert (status, body["fields"]) == (422, {"username": "'place' is reserved"})
    assert await mende.fetchval("SELECT count(*) FROM accounts") == 2

    lea = await log_in(mende, "lea", "lea-password-1")
    status, body = await call(mende, "GET", "/api/v1/me", token=lea)
    assert (status, body["username"], body["role"]) == (200, "lea", "member")
    status, _ = await call(mende, "POST", "/api/v1/accounts", token=lea, body=new)
    assert status == 403
