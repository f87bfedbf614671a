"""Domain policy rows: which row counts, which hosts a policy covers, the in-memory check."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from server.processing.domain_policy import (
    DomainPolicies,
    InvalidPolicy,
    apply_policy,
    canonical_domain,
    lift_policy,
)
from server.storage import domain_policies, moderation_log
from server.storage.domain_policies import covering, covers, effective
from tests.support import wait_until

ASYNC = pytest.mark.asyncio(loop_scope="session")


def test_a_policy_covers_subdomains_and_ports_but_not_parents() -> None:
    assert covers("example.org", "example.org")
    assert covers("example.org", "a.b.example.org")
    assert covers("example.org", "example.org:8443")
    assert covers("example.org:8443", "example.org:8443")
    assert not covers("example.org:8443", "example.org")
    assert not covers("a.example.org", "example.org")
    assert not covers("example.org", "badexample.org")
    assert covering("127.0.0.1:8080") == ["127.0.0.1:8080", "127.0.0.1"]


def test_domains_are_stored_in_one_canonical_form() -> None:
    assert canonical_domain(" Example.ORG. ") == "example.org"
    for bad in ("", "*.example.org", "exa mple.org", "https://"):
        with pytest.raises(InvalidPolicy):
            canonical_domain(bad)


@ASYNC
async def test_a_local_row_beats_every_list_and_lists_take_the_most_severe(
    connection: asyncpg.Connection,
) -> None:
    await domain_policies.set_policy(
        connection, domain="spam.example", severity="limit", source="https://a.example/list"
    )
    await domain_policies.set_policy(
        connection, domain="spam.example", severity="suspend", source="https://b.example/list"
    )
    rows = await domain_policies.policies_of(connection, "spam.example")
    assert effective(rows) == "suspend"
    await domain_policies.set_policy(connection, domain="spam.example", severity="allow")
    assert effective(await domain_policies.policies_of(connection, "spam.example")) == "allow"
    removed = await domain_policies.remove_source(connection, "https://b.example/list")
    assert removed == ["spam.example"]
    assert [row.source for row in await domain_policies.policies(connection)] == [
        "",
        "https://a.example/list",
    ]


@ASYNC
async def test_applying_and_lifting_write_the_log_and_reach_the_cache(
    pool: asyncpg.Pool,
) -> None:
    cache = DomainPolicies(pool)
    await cache.refresh()
    assert not cache.refuses("a.spam.example")
    async with pool.acquire() as connection, connection.transaction():
        after = await apply_policy(
            connection,
            domain="spam.example",
            severity="suspend",
            who="admin",
            public_reason="spam",
        )
    assert after == "suspend"
    await cache.refresh()
    assert cache.refuses("a.spam.example")
    assert not cache.refuses("example")
    async with pool.acquire() as connection:
        assert await lift_policy(connection, domain="spam.example", who="admin")
        assert not await lift_policy(connection, domain="spam.example", who="admin")
        logged = await moderation_log.entries(connection)
    assert [(e.action, e.target, e.who) for e in logged] == [
        ("domain.remove", "spam.example", "admin"),
        ("domain.suspend", "spam.example", "admin"),
    ]
    assert logged[1].reason == "spam"
    await cache.refresh()
    assert not cache.refuses("a.spam.example")


@ASYNC
async def test_limited_federation_refuses_all_but_allowed_hosts(pool: asyncpg.Pool) -> None:
    cache = DomainPolicies(pool, limited_federation=True, own_hosts=frozenset({"us.example"}))
    async with pool.acquire() as connection:
        await apply_policy(connection, domain="friend.example", severity="allow", who="admin")
    await cache.refresh()
    assert not cache.refuses("friend.example")
    assert not cache.refuses("x.friend.example")
    assert cache.refuses("stranger.example")
    assert not cache.refuses("us.example")


@ASYNC
async def test_another_process_hears_of_a_change_by_notify(pool: asyncpg.Pool) -> None:
    """A process (here: a second DomainPolicies on its own LISTEN) reads the table again when
    another one commits a change: it makes no query of its own to find out."""
    other = DomainPolicies(pool)
    stop = asyncio.Event()
    listening = asyncio.create_task(other.listen(stop))
    try:

        async def listens() -> bool:
            return other.listening()

        async def refused() -> bool:
            return other.refuses("spam.example")

        async def welcome() -> bool:
            return not other.refuses("spam.example")

        await wait_until(listens, what="the LISTEN")
        async with pool.acquire() as connection, connection.transaction():
            await apply_policy(connection, domain="spam.example", severity="suspend", who="a")
        await wait_until(refused, what="the notification")
        async with pool.acquire() as connection:
            await lift_policy(connection, domain="spam.example", who="a")
        await wait_until(welcome, what="the second one")
    finally:
        stop.set()
        await listening
