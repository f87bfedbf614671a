"""Issue 14, SECURITY.md row 15: the five causes of a 500 found by fuzzing, each a 4xx now.

Every case is played against a running node over real HTTP; where an activity could have been
stored, the watched tables are compared before and after.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.conftest import create_database, drop_database, unique_name
from tests.hostile import AP_TYPE, encode, post_raw, snapshot
from tests.network import loopback_network
from tests.rawhttp import exchange, request_bytes
from tests.test_api_neighbours import log_in
from tests.test_security_payloads import Scene, make_scene

DEEP = 5_000


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scene(
    tmp_path_factory: pytest.TempPathFactory, postgres_server_dsn: str, template_database: str
) -> AsyncIterator[Scene]:
    """One node for the module: every case is refused and checks that it changed nothing."""
    made: list[str] = []

    async def make() -> str:
        name = unique_name("maillage_no500")
        made.append(name)
        return await create_database(postgres_server_dsn, name, template=template_database)

    try:
        async with loopback_network(tmp_path_factory.mktemp("no500"), make) as network:
            async for ready in make_scene(network):
                yield ready
    finally:
        for name in made:
            await drop_database(postgres_server_dsn, name)


def deep_json(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


async def api(
    scene: Scene,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    token: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> tuple[int, dict[str, object]]:
    sent = [("Content-Type", "application/json"), *(headers or [])]
    if token is not None:
        sent.append(("Authorization", f"Bearer {token}"))
    answer = await exchange(
        scene.node.port,
        request_bytes(method, path, host=scene.node.settings.domain, headers=sent, body=body),
    )
    assert answer.headers.get("content-type", "").startswith("application/json"), answer
    document = answer.json()
    assert set(document) == {"error", "fields"}, document  # the API's error shape
    return answer.status, document


# --- 1. an integer of more than 4,300 digits --------------------------------------------------


async def test_a_huge_integer_in_an_inbox_body_is_a_400(scene: Scene) -> None:
    before = await snapshot(scene.node)
    activity = scene.eve.activity("Follow", scene.node.place)
    body = encode(activity)[:-1] + b', "n": ' + b"9" * 5_000 + b"}"
    answer = await post_raw(
        scene.node, "/inbox", body, scene.eve.sign(f"{scene.node.base}/inbox", body)
    )
    assert answer.status == 400
    assert answer.error is not None
    assert "Exceeds the limit (4300 digits)" in answer.error
    assert await snapshot(scene.node) == before


async def test_a_huge_integer_in_an_api_body_is_a_400(scene: Scene) -> None:
    body = b'{"username": "admin", "password": ' + b"1" * 5_000 + b"}"
    status, document = await api(scene, "POST", "/api/v1/auth/login", body)
    assert status == 400
    assert "4300 digits" in str(document["error"])


# --- 2. content codings that do not decode ----------------------------------------------------

GARBAGE = b"this is not compressed at all"


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_body_that_does_not_decompress_on_the_inbox(scene: Scene, coding: str) -> None:
    before = await snapshot(scene.node)
    headers = {**scene.eve.sign(f"{scene.node.base}/inbox", GARBAGE), "Content-Encoding": coding}
    answer = await post_raw(scene.node, "/inbox", GARBAGE, headers)
    assert (answer.status, answer.error) == (
        400,
        f"the body does not decode as its Content-Encoding ({coding})",
    )
    assert await snapshot(scene.node) == before


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_body_that_does_not_decompress_on_login(scene: Scene, coding: str) -> None:
    status, document = await api(
        scene, "POST", "/api/v1/auth/login", GARBAGE, headers=[("Content-Encoding", coding)]
    )
    assert status == 400
    assert document["error"] == f"the body does not decode as its Content-Encoding ({coding})"


async def test_a_compressed_login_that_decodes_is_read(scene: Scene) -> None:
    login = json.dumps({"username": "admin", "password": "x" * 12}).encode()
    for coding, body in [("gzip", gzip.compress(login)), ("deflate", zlib.compress(login))]:
        answer = await exchange(
            scene.node.port,
            request_bytes(
                "POST",
                "/api/v1/auth/login",
                host=scene.node.settings.domain,
                headers=[("Content-Type", "application/json"), ("Content-Encoding", coding)],
                body=body,
            ),
        )
        assert answer.status == 200, answer
        assert "token" in answer.json()


async def test_an_unknown_content_coding_is_a_415(scene: Scene) -> None:
    status, document = await api(
        scene, "POST", "/api/v1/auth/login", b"{}", headers=[("Content-Encoding", "zstd2")]
    )
    assert (status, document["error"]) == (415, "the content coding 'zstd2' is not supported")


async def test_a_chunked_body_with_an_absurd_chunk_size_does_not_hold_the_connection(
    scene: Scene,
) -> None:
    """The node answers at once (within `exchange`'s deadline), without waiting for the chunk."""
    for path in ("/inbox", "/api/v1/auth/login"):
        answer = await exchange(
            scene.node.port,
            request_bytes(
                "POST",
                path,
                host=scene.node.settings.domain,
                headers=[("Content-Type", AP_TYPE), ("Transfer-Encoding", "chunked")],
                body=b"FFFFFFFFFFFF\r\nabc",
            ),
            within=5,
        )
        assert answer.status == 411, (path, answer)
        assert "Content-Length" in answer.json()["error"]


# --- 3. U+0000 in paths, queries and bodies --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "status"),
    [
        ("GET", "/actors/%00", 400),
        ("GET", "/actors/%00/followers", 400),
        ("POST", "/actors/%00/inbox", 400),
        ("GET", "/.well-known/webfinger?resource=acct:%00@mende.test", 400),
        ("GET", "/events/%00", 400),
        ("GET", "/calls/%00", 400),
        ("GET", "/agenda?q=%00", 400),
        ("GET", "/api/v1/people?q=%00", 422),
        ("GET", "/api/v1/agenda?q=a%00b", 422),
        ("GET", "/api/v1/places?q=%00", 422),
        ("GET", "/api/v1/events/%00", 400),
    ],
)
async def test_nul_in_the_address(scene: Scene, method: str, target: str, status: int) -> None:
    body = b"{}" if method == "POST" else None
    answer = await exchange(
        scene.node.port,
        request_bytes(
            method,
            target,
            host=scene.node.settings.domain,
            headers=[("Content-Type", AP_TYPE)],
            body=body,
        ),
    )
    assert answer.status == status, answer
    assert b"U+0000" in answer.body


async def test_nul_in_a_login(scene: Scene) -> None:
    body = json.dumps({"username": "ad\u0000min", "password": "x" * 12}).encode()
    status, document = await api(scene, "POST", "/api/v1/auth/login", body)
    assert (status, document["fields"]) == (
        422,
        {"username": "a string holds the character U+0000"},
    )


async def test_nul_and_lone_surrogates_in_a_place_profile(scene: Scene) -> None:
    token = await log_in(scene.node)
    for text, problem in [
        ("Caf\u0000", "a string holds the character U+0000"),
        ("Caf\ud800", "a string holds a lone surrogate U+D800"),
    ]:
        body = json.dumps({"name": text, "links": [{"label": text}]}).encode()
        status, document = await api(scene, "PATCH", "/api/v1/place", body, token=token)
        assert status == 422
        assert document["fields"] in ({"name": problem}, {"links[0].label": problem})
    status, place = await api_get_place(scene)
    assert status == 200
    assert "\ufffd" not in json.dumps(place)


async def api_get_place(scene: Scene) -> tuple[int, object]:
    answer = await exchange(
        scene.node.port,
        request_bytes("GET", "/api/v1/place", host=scene.node.settings.domain),
    )
    return answer.status, answer.json()


async def test_bytes_that_are_not_utf8_in_a_header(scene: Scene) -> None:
    """aiohttp decodes them to lone surrogates, which hashing a token could not encode."""
    answer = await exchange(
        scene.node.port,
        request_bytes(
            "GET",
            "/api/v1/me",
            host=scene.node.settings.domain,
            raw_headers=b"Authorization: Bearer \xff\xfe\r\n",
        ),
    )
    assert answer.status == 400, answer
    assert answer.json()["error"] == "the header Authorization is not UTF-8 text"


# --- 4. JSON nested 5,000 deep ----------------------------------------------------------------


async def test_deep_json_on_login_without_a_token(scene: Scene) -> None:
    status, document = await api(scene, "POST", "/api/v1/auth/login", deep_json(DEEP))
    assert status == 400
    assert document["error"] == (
        f"the body must be JSON: JSON nesting depth {DEEP} exceeds the limit of 16"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/v1/place"),
        ("POST", "/api/v1/events"),
        ("POST", "/api/v1/calls"),
        ("PUT", "/api/v1/me/profile"),
        ("POST", "/api/v1/neighbours"),
    ],
)
async def test_deep_json_in_api_bodies(scene: Scene, method: str, path: str) -> None:
    token = await log_in(scene.node)
    status, document = await api(scene, method, path, deep_json(DEEP), token=token)
    assert status == 400
    assert "nesting depth" in str(document["error"])


# --- 5. a lone surrogate in a correctly signed activity ---------------------------------------


@pytest.mark.parametrize("where", ["value", "key"])
async def test_a_lone_surrogate_in_a_signed_activity_is_refused_and_stores_nothing(
    scene: Scene, where: str
) -> None:
    before = await snapshot(scene.node)
    activity = scene.eve.activity("Follow", scene.node.place)
    extra = {"summary": "a\ud800b"} if where == "value" else {"a\udfffb": "x"}
    body = json.dumps({**activity, **extra}).encode()  # ensure_ascii: written as `\ud800`
    answer = await post_raw(
        scene.node, "/inbox", body, scene.eve.sign(f"{scene.node.base}/inbox", body)
    )
    assert answer.status == 400
    assert answer.error is not None
    assert "lone surrogate" in answer.error
    assert await snapshot(scene.node) == before


# --- What an ActivityPub body must be ---------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("text/plain", 415),
        ("image/png", 415),
        ("application/x-www-form-urlencoded", 415),
        ("application/activity+json; charset=utf-16", 415),
        ("", 415),
    ],
)
async def test_an_activity_needs_a_json_media_type(
    scene: Scene, content_type: str, status: int
) -> None:
    before = await snapshot(scene.node)
    body = encode(scene.eve.activity("Follow", scene.node.place))
    headers = {**scene.eve.sign(f"{scene.node.base}/inbox", body), "Content-Type": content_type}
    answer = await post_raw(scene.node, "/inbox", body, headers)
    assert answer.status == status, answer
    assert await snapshot(scene.node) == before


@pytest.mark.parametrize(
    "body_of",
    [
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-16-le"),
        lambda text: b"\xef\xbb\xbf" + text.encode(),
    ],
    ids=["utf-16 with bom", "utf-16-le", "utf-8 bom"],
)
async def test_an_activity_must_be_utf8_without_a_bom(scene: Scene, body_of: object) -> None:
    assert callable(body_of)
    before = await snapshot(scene.node)
    body: bytes = body_of(json.dumps(scene.eve.activity("Follow", scene.node.place)))
    answer = await post_raw(
        scene.node, "/inbox", body, scene.eve.sign(f"{scene.node.base}/inbox", body)
    )
    assert answer.status == 400, answer
    assert await snapshot(scene.node) == before
