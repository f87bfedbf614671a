"""Taking a trust list's versions (auto and review), on a real database; the document's shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.errors import SchemaError
from schemas.trust_lists import (
    TrustList,
    TrustListEntry,
    mastodon_csv,
    parse_trust_list,
    trust_list_document,
)
from server.database import DbConnection
from server.processing.context import NodeContext
from server.processing.trust_subscriptions import TrustListError, take
from server.storage import domain_policies, trust_subscriptions
from server.urls import NodeUrls

NODE = NodeContext(NodeUrls("http://mende.test"))
URL = "https://coordination.test/trust-list"
PUBLISHER = "https://coordination.test/actors/application"


def version(number: int, *entries: tuple[str, str, str]) -> TrustList:
    document = trust_list_document(
        list_id=URL,
        publisher=PUBLISHER,
        version=number,
        updated=datetime(2026, 12, 1, tzinfo=UTC),
        name="Lozère",
        summary="",
        entries=[TrustListEntry(domain=d, policy=p, public_reason=r) for d, p, r in entries],  # type: ignore[arg-type]
    )
    return parse_trust_list(document)


async def subscribed(connection: DbConnection, mode: str) -> None:
    await trust_subscriptions.add(
        connection,
        url=URL,
        mode=mode,
        publisher=PUBLISHER,
        follow_activity_id="http://mende.test/activities/follow-1",
        next_fetch_seconds=3600,
    )


async def held(connection: DbConnection) -> dict[str, tuple[str, str]]:
    rows = await domain_policies.policies(connection, source=URL)
    return {row.domain: (row.severity, row.public_reason) for row in rows}


async def pending(connection: DbConnection) -> dict[str, tuple[str, str | None]]:
    found = await trust_subscriptions.proposals(connection)
    return {p.domain: (p.change, p.severity) for p in found}


async def test_auto_applies_each_newer_version_and_ignores_older_ones(
    connection: DbConnection,
) -> None:
    await subscribed(connection, "auto")
    first = version(1, ("Spam.Example", "suspend", "spam"), ("florac.test", "member", ""))
    assert await take(connection, NODE, URL, first)
    assert await held(connection) == {
        "spam.example": ("suspend", "spam"),
        "florac.test": ("allow", ""),
    }
    logged = await connection.fetchval("SELECT count(*) FROM moderation_log")
    # The same version again, or an older one (a replay): nothing changes, nothing is logged.
    assert not await take(connection, NODE, URL, first)
    await take(connection, NODE, URL, version(2, ("bruyant.example", "limit", "")))
    assert not await take(connection, NODE, URL, first)
    assert await held(connection) == {"bruyant.example": ("limit", "")}
    assert await connection.fetchval("SELECT count(*) FROM moderation_log") == logged + 3
    # This node's own domain is never taken from a list.
    await take(connection, NODE, URL, version(3, ("mende.test", "suspend", "")))
    assert await held(connection) == {}


async def test_review_proposes_withdraws_and_does_not_propose_a_refused_change_again(
    connection: DbConnection,
) -> None:
    await subscribed(connection, "review")
    await take(
        connection, NODE, URL, version(1, ("a.example", "suspend", ""), ("b.example", "limit", ""))
    )
    assert await pending(connection) == {
        "a.example": ("set", "suspend"),
        "b.example": ("set", "limit"),
    }
    assert await held(connection) == {}
    # Version 2 no longer names b: its proposal is withdrawn.
    await take(connection, NODE, URL, version(2, ("a.example", "suspend", "")))
    assert await pending(connection) == {"a.example": ("set", "suspend")}
    (proposal,) = await trust_subscriptions.proposals(connection)
    await trust_subscriptions.decide(connection, proposal.id, "refused", "admin")
    await take(
        connection, NODE, URL, version(3, ("a.example", "suspend", ""), ("c.example", "member", ""))
    )
    assert await pending(connection) == {"c.example": ("set", "allow")}


async def test_a_list_with_a_bad_domain_is_refused_whole(connection: DbConnection) -> None:
    await subscribed(connection, "auto")
    bad = version(1, ("good.example", "suspend", ""), ("not a host", "suspend", ""))
    with pytest.raises(TrustListError, match="not a host"):
        await take(connection, NODE, URL, bad)
    assert await held(connection) == {}
    assert await connection.fetchval("SELECT version FROM trust_subscriptions") == 0


def list_document(**changes: Any) -> dict[str, Any]:
    document = trust_list_document(
        list_id=URL,
        publisher=PUBLISHER,
        version=1,
        updated=datetime(2026, 12, 1, tzinfo=UTC),
        name="",
        summary="",
        entries=[TrustListEntry(domain="a.example", policy="suspend")],
    )
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"version": 0}, "version"),
        ({"version": "two"}, "version"),
        ({"type": "Collection"}, "type"),
        ({"orderedItems": [{"domain": "a.example", "policy": "ban"}]}, "policy"),
        (
            {"orderedItems": [{"domain": "a.example", "policy": "limit"}] * 2},
            "listed twice",
        ),
        ({"attributedTo": None}, "attributedTo"),
    ],
)
def test_what_is_not_a_trust_list(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(SchemaError, match=reason):
        parse_trust_list(list_document(**changes))


def test_the_mastodon_csv_has_the_blocks_and_not_the_members() -> None:
    entries = [
        TrustListEntry(domain="a.example", policy="suspend", public_reason="spam, encore"),
        TrustListEntry(domain="b.example", policy="limit"),
        TrustListEntry(domain="mende.test", policy="member"),
    ]
    assert mastodon_csv(entries).splitlines() == [
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
        'a.example,suspend,false,false,"spam, encore",false',
        "b.example,silence,false,false,,false",
    ]
