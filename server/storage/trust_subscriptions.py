"""The trust lists this node subscribes to, and the changes they propose for review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.database import DbConnection


@dataclass(frozen=True)
class Subscription:
    url: str
    mode: str
    publisher: str
    name: str
    version: int
    list_updated: datetime | None
    follow_activity_id: str
    fetched_at: datetime | None
    last_error: str  # in English; the code and detail below say it for the pages
    last_error_code: str
    last_error_detail: str


@dataclass(frozen=True)
class Proposal:
    id: int
    list_url: str
    domain: str
    change: str  # set | remove
    severity: str | None
    public_reason: str
    version: int
    state: str
    created_at: datetime


SUBSCRIPTION = (
    "url, mode, publisher, name, version, list_updated, follow_activity_id, fetched_at, "
    "last_error, last_error_code, last_error_detail"
)
PROPOSAL = "id, list_url, domain, change, severity, public_reason, version, state, created_at"


async def add(
    connection: DbConnection,
    *,
    url: str,
    mode: str,
    publisher: str,
    follow_activity_id: str,
    next_fetch_seconds: float,
) -> bool:
    """A new subscription (its list taken just after); False when it exists already."""
    result: str = await connection.execute(
        "INSERT INTO trust_subscriptions (url, mode, publisher, follow_activity_id, "
        "next_fetch_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) "
        "ON CONFLICT (url) DO NOTHING",
        url,
        mode,
        publisher,
        follow_activity_id,
        next_fetch_seconds,
    )
    return result != "INSERT 0 0"


async def find(connection: DbConnection, url: str, *, lock: bool = False) -> Subscription | None:
    row = await connection.fetchrow(
        f"SELECT {SUBSCRIPTION} FROM trust_subscriptions WHERE url = $1"
        + (" FOR UPDATE" if lock else ""),
        url,
    )
    return None if row is None else Subscription(**dict(row))


async def all_subscriptions(connection: DbConnection) -> list[Subscription]:
    rows = await connection.fetch(f"SELECT {SUBSCRIPTION} FROM trust_subscriptions ORDER BY url")
    return [Subscription(**dict(row)) for row in rows]


async def remove(connection: DbConnection, url: str) -> Subscription | None:
    row = await connection.fetchrow(
        f"DELETE FROM trust_subscriptions WHERE url = $1 RETURNING {SUBSCRIPTION}", url
    )
    return None if row is None else Subscription(**dict(row))


async def taken(
    connection: DbConnection, url: str, *, version: int, updated: datetime, name: str
) -> None:
    """The list's version `version` was taken (applied or proposed)."""
    await connection.execute(
        "UPDATE trust_subscriptions SET version = $2, list_updated = $3, name = $4, "
        "fetched_at = now(), last_error = '', last_error_code = '', last_error_detail = '' "
        "WHERE url = $1",
        url,
        version,
        updated,
        name,
    )


async def fetch_failed(
    connection: DbConnection, url: str, code: str, message: str, detail: str
) -> None:
    await connection.execute(
        "UPDATE trust_subscriptions SET last_error = $2, last_error_code = $3, "
        "last_error_detail = $4, fetched_at = now() WHERE url = $1",
        url,
        message[:500],
        code,
        detail[:500],
    )


async def fetch_succeeded(connection: DbConnection, url: str) -> None:
    await connection.execute(
        "UPDATE trust_subscriptions SET last_error = '', last_error_code = '', "
        "last_error_detail = '', fetched_at = now() WHERE url = $1",
        url,
    )


async def due_now(connection: DbConnection, url: str, publisher: str) -> bool:
    """The publisher announced a change: refetch at the next round. Whether it is ours."""
    result: str = await connection.execute(
        "UPDATE trust_subscriptions SET next_fetch_at = now() WHERE url = $1 AND publisher = $2",
        url,
        publisher,
    )
    return result != "UPDATE 0"


async def claim_due(connection: DbConnection, every_seconds: float, limit: int) -> list[str]:
    """Lists due for a refetch, each claimed by pushing its next fetch one interval away (so
    that another worker process does not take it too)."""
    rows = await connection.fetch(
        """
        UPDATE trust_subscriptions SET next_fetch_at = now() + make_interval(secs => $1)
        WHERE url IN (
            SELECT url FROM trust_subscriptions WHERE next_fetch_at <= now()
            ORDER BY next_fetch_at LIMIT $2 FOR UPDATE SKIP LOCKED
        )
        RETURNING url
        """,
        every_seconds,
        limit,
    )
    return [row["url"] for row in rows]


async def counts(connection: DbConnection) -> dict[str, tuple[int, int]]:
    """Per list: (domain policies held from it, pending proposals)."""
    rows = await connection.fetch(
        """
        SELECT s.url,
            (SELECT count(*) FROM domain_policies d WHERE d.source = s.url) AS held,
            (SELECT count(*) FROM trust_proposals p
             WHERE p.list_url = s.url AND p.state = 'pending') AS pending
        FROM trust_subscriptions s
        """
    )
    return {row["url"]: (row["held"], row["pending"]) for row in rows}


# --- proposals ----------------------------------------------------------------------------------


async def propose(
    connection: DbConnection,
    *,
    list_url: str,
    domain: str,
    change: str,
    severity: str | None,
    public_reason: str,
    version: int,
) -> bool:
    """Record a proposed change, replacing the pending one of that domain; a change refused
    before (the same one) is not proposed again. Whether a proposal is pending now."""
    refused = await connection.fetchval(
        "SELECT true FROM trust_proposals WHERE list_url = $1 AND domain = $2 AND change = $3 "
        "AND severity IS NOT DISTINCT FROM $4 AND public_reason = $5 AND state = 'refused'",
        list_url,
        domain,
        change,
        severity,
        public_reason,
    )
    await withdraw(connection, list_url, domain)
    if refused:
        return False
    await connection.execute(
        "INSERT INTO trust_proposals (list_url, domain, change, severity, public_reason, version) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        list_url,
        domain,
        change,
        severity,
        public_reason,
        version,
    )
    return True


async def withdraw(connection: DbConnection, list_url: str, domain: str) -> None:
    """The list no longer proposes a change for this domain."""
    await connection.execute(
        "DELETE FROM trust_proposals WHERE list_url = $1 AND domain = $2 AND state = 'pending'",
        list_url,
        domain,
    )


async def pending_domains(connection: DbConnection, list_url: str) -> list[str]:
    rows = await connection.fetch(
        "SELECT domain FROM trust_proposals WHERE list_url = $1 AND state = 'pending'", list_url
    )
    return [row["domain"] for row in rows]


async def proposals(
    connection: DbConnection, *, state: str = "pending", list_url: str | None = None
) -> list[Proposal]:
    rows = await connection.fetch(
        f"SELECT {PROPOSAL} FROM trust_proposals WHERE state = $1 "
        "AND ($2::text IS NULL OR list_url = $2) ORDER BY id",
        state,
        list_url,
    )
    return [Proposal(**dict(row)) for row in rows]


async def decide(
    connection: DbConnection, proposal_id: int, state: str, who: str
) -> Proposal | None:
    """Mark a pending proposal accepted or refused; None when there is no such pending one."""
    row = await connection.fetchrow(
        f"UPDATE trust_proposals SET state = $2, decided_at = now(), decided_by = $3 "
        f"WHERE id = $1 AND state = 'pending' RETURNING {PROPOSAL}",
        proposal_id,
        state,
        who,
    )
    return None if row is None else Proposal(**dict(row))
