"""Password logins throttled per account and per address (issue 14, item 4).

Played against a running node over HTTP: wrong passwords for one account, then wrong usernames
from one address, until the node answers 429 with `Retry-After` in the API's error shape. The
refill is checked on the throttle itself with a clock the test moves.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from server.login_throttle import ACCOUNT_RATE, ADDRESS_RATE, LoginThrottle, LoginThrottled
from server.passwords import hash_password
from server.ratelimit import TokenBuckets
from tests.network import LoopbackNetwork, NetworkNode
from tests.web_client import WebClient

RIGHT = "x" * 12  # the administrator's password on a test node


async def login(node: NetworkNode, username: str, password: str) -> tuple[int, Any, str | None]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{node.port}/api/v1/auth/login",
            json={"username": username, "password": password},
        ) as response,
    ):
        return response.status, await response.json(), response.headers.get("Retry-After")


async def test_wrong_passwords_for_one_account_are_throttled(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    await mende.fetchval(
        "INSERT INTO accounts (username, email, role, password_hash) "
        "VALUES ('lea', 'lea@example.org', 'member', $1) RETURNING id",
        hash_password("lea-password-1"),
    )
    # Right passwords are never counted.
    for _ in range(ACCOUNT_RATE.burst + 2):
        assert (await login(mende, "admin", RIGHT))[0] == 200
    for _ in range(ACCOUNT_RATE.burst):
        status, body, _ = await login(mende, "admin", "wrong")
        assert (status, body["error"]) == (401, "invalid username or password")

    for password in ("wrong", RIGHT):  # past the limit, even the right one waits
        status, body, retry_after = await login(mende, "ADMIN", password)
        assert status == 429
        assert body == {"error": f"too many failed logins; retry in {retry_after} s", "fields": {}}
        assert retry_after is not None
        assert 1 <= int(retry_after) <= 60
    # Another account, from the same address, is not held up.
    assert (await login(mende, "lea", "lea-password-1"))[0] == 200


async def test_wrong_logins_from_one_address_are_throttled(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    # Each wrong login takes a while (the password hash): the bucket refills meanwhile, so the
    # attempts go on until refused, and at least a burst of them must have been let through.
    answers = [await login(mende, f"nobody{index}", "wrong") for index in range(ADDRESS_RATE.burst)]
    assert {status for status, _, _ in answers} == {401}
    for index in range(ADDRESS_RATE.burst):
        status, body, retry_after = await login(mende, f"other{index}", "wrong")
        if status != 401:
            break
    assert status == 429
    assert retry_after is not None
    assert 1 <= int(retry_after) <= 15
    assert body["error"] == f"too many failed logins; retry in {retry_after} s"


def test_the_throttle_refills_and_forgives_a_right_password() -> None:
    now = [0.0]
    throttle = LoginThrottle(
        accounts=TokenBuckets(ACCOUNT_RATE, clock=lambda: now[0]),
        addresses=TokenBuckets(ADDRESS_RATE, clock=lambda: now[0]),
    )
    for _ in range(ACCOUNT_RATE.burst - 1):
        throttle.take("camille", "192.0.2.1")
    throttle.take("camille", "192.0.2.1")
    throttle.give_back("camille", "192.0.2.1")  # the last one was right
    throttle.take("camille", "192.0.2.1")
    with pytest.raises(LoginThrottled) as throttled:
        throttle.take("camille", "192.0.2.1")
    assert throttled.value.retry_after == 60
    now[0] += 60
    throttle.take("Camille", "192.0.2.1")  # one more after a minute, whatever the case


async def test_the_openapi_document_says_login_answers_401_and_429(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    document = await mende.get_json("/api/openapi.json", accept="application/json")
    responses = document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"200", "401", "422", "429"} <= set(responses)
    assert "Retry-After" in responses["429"]["description"]


async def test_the_sign_in_page_shares_the_apis_throttle(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    await network.start_all()
    for _ in range(ACCOUNT_RATE.burst):
        status, _, _ = await login(mende, "admin", "wrong")
        assert status == 401
    async with WebClient(mende) as browser:
        await browser.get("/login")
        status, _, page = await browser.post("/login", {"username": "admin", "password": RIGHT})
    assert status == 429
    assert "try again in" in page or "réessayez dans" in page
