"""Activities our actors published, and the per-inbox deliveries that carry them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.retry import RetryPolicy
from server.database import DbConnection

DELIVERY_CHANNEL = "maillage_deliveries"
CLAIM_LOCK = 0x6D61696C_64656C  # pg_advisory_xact_lock key of delivery claims ("mail", "del")


@dataclass(frozen=True)
class Delivery:
    id: int
    outbox_id: int
    inbox_url: str
    host: str
    attempts: int
    actor_name: str
    payload: dict[str, Any]
    signature_scheme: str | None = None  # what the host accepts, when known (remote_hosts)
    probe: bool = False  # sent alone to a host whose streak of failures runs
    early: bool = False  # taken (as a probe) before its own next attempt was due


async def store_published(
    connection: DbConnection,
    activity_id: str,
    actor_name: str,
    activity_type: str,
    public: bool,
    payload: dict[str, Any],
) -> int:
    outbox_id: int = await connection.fetchval(
        """
        INSERT INTO outbox_activities (activity_id, actor_name, activity_type, public, payload)
        VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id
        """,
        activity_id,
        actor_name,
        activity_type,
        public,
        json.dumps(payload),
    )
    return outbox_id


async def add_deliveries(
    connection: DbConnection,
    outbox_id: int,
    inboxes: dict[str, str],
    after: Mapping[str, int] | None = None,
) -> int:
    """One row per distinct inbox (`inboxes` maps inbox URL to its canonical host); the row of
    an inbox in `after` waits until that outbox activity is no longer pending anywhere."""
    if not inboxes:
        return 0
    waits = after or {}
    await connection.executemany(
        "INSERT INTO deliveries (outbox_id, inbox_url, host, after_outbox_id) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (outbox_id, inbox_url) DO NOTHING",
        [(outbox_id, url, host, waits.get(url)) for url, host in inboxes.items()],
    )
    await connection.execute("SELECT pg_notify($1, '')", DELIVERY_CHANNEL)
    return len(inboxes)


async def claim_due(
    connection: DbConnection,
    limit: int,
    lease_seconds: float,
    default_depth: int,
    depths: dict[str, int] | None = None,
    after_host: str = "",
) -> list[Delivery]:
    """Lease due deliveries, host by host: at most a host's depth (`depths`, else
    `default_depth`) leased at once, counting the leases other workers hold; a host whose streak
    of failures runs gets one, its probe, taken even before its own next attempt is due; a paused
    host none. So a slow or failing host holds only its own few rows, never the worker's room.
    Hosts are walked in order from `after_host`, wrapping around, and only until `limit` rows
    are found (the walk is evaluated lazily): a worker that passes the last host of its previous
    full claim goes round the hosts in turn, and a claim costs about `limit` hosts' lookups,
    however many hosts wait. Expired leases are taken again. Claims are serialised (a
    transaction-level advisory lock) so that two workers never both see a host's last free
    place."""
    depths = depths or {}
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", CLAIM_LOCK)
        rows = await connection.fetch(
            """
            WITH RECURSIVE after_start(host) AS (
                (SELECT host FROM deliveries WHERE state = 'pending' AND host > $6
                 ORDER BY host LIMIT 1)
                UNION ALL
                SELECT (SELECT d.host FROM deliveries d WHERE d.state = 'pending'
                            AND d.host > a.host ORDER BY d.host LIMIT 1)
                FROM after_start a WHERE a.host IS NOT NULL),
            up_to_start(host) AS (
                (SELECT host FROM deliveries WHERE state = 'pending' ORDER BY host LIMIT 1)
                UNION ALL
                SELECT (SELECT d.host FROM deliveries d WHERE d.state = 'pending'
                            AND d.host > b.host ORDER BY d.host LIMIT 1)
                FROM up_to_start b WHERE b.host IS NOT NULL AND b.host <= $6),
            pending_hosts(host) AS (
                SELECT host FROM after_start
                UNION ALL
                SELECT host FROM up_to_start WHERE host <= $6),
            open_hosts AS (
                SELECT p.host, h.signature_scheme,
                    coalesce(h.consecutive_failures, 0) > 0 AS probing,
                    CASE WHEN coalesce(h.consecutive_failures, 0) > 0 THEN 1
                         ELSE coalesce(w.depth, $3) END
                    - (SELECT count(*) FROM deliveries x WHERE x.host = p.host
                         AND x.state = 'pending' AND x.lease_until IS NOT NULL
                         AND x.lease_until > now()) AS free
                FROM pending_hosts p
                LEFT JOIN remote_hosts h ON h.host = p.host
                LEFT JOIN unnest($4::text[], $5::int[]) AS w(host, depth) ON w.host = p.host
                WHERE p.host IS NOT NULL
                  AND (h.circuit_open_until IS NULL OR h.circuit_open_until <= now())),
            due AS (
                SELECT c.id, o.signature_scheme, o.probing, c.next_attempt_at > now() AS early
                FROM open_hosts o CROSS JOIN LATERAL (
                    SELECT d.id, d.next_attempt_at FROM deliveries d
                    WHERE d.host = o.host AND d.state = 'pending'
                      AND (d.next_attempt_at <= now() OR o.probing)
                      AND (d.lease_until IS NULL OR d.lease_until < now())
                      AND (d.after_outbox_id IS NULL OR NOT EXISTS (
                          SELECT 1 FROM deliveries w
                          WHERE w.outbox_id = d.after_outbox_id AND w.state = 'pending'))
                    ORDER BY d.next_attempt_at, d.id
                    LIMIT greatest(o.free, 0)
                    FOR UPDATE OF d SKIP LOCKED) c
                LIMIT $1)
            UPDATE deliveries d SET lease_until = now() + make_interval(secs => $2),
                attempts = d.attempts + 1
            FROM due, outbox_activities o
            WHERE d.id = due.id AND o.id = d.outbox_id
            RETURNING d.id, d.outbox_id, d.inbox_url, d.host, d.attempts, o.actor_name,
                o.payload, due.signature_scheme, due.probing AS probe, due.early
            """,
            limit,
            lease_seconds,
            default_depth,
            list(depths),
            list(depths.values()),
            after_host,
        )
    payloads: dict[int, dict[str, Any]] = {}  # parsed once per activity, not per delivery
    claimed: list[Delivery] = []
    for row in rows:
        payload = payloads.get(row["outbox_id"])
        if payload is None:
            payload = payloads[row["outbox_id"]] = json.loads(row["payload"])
        claimed.append(Delivery(**{**dict(row), "payload": payload}))
    return claimed


async def release(connection: DbConnection, delivery_ids: list[int]) -> None:
    """Give back leases of deliveries claimed but not finished (a stop): due again at once for
    any worker, and the attempt their claim counted is not counted."""
    if delivery_ids:
        await connection.execute(
            "UPDATE deliveries SET lease_until = NULL, attempts = greatest(attempts - 1, 0) "
            "WHERE id = ANY($1::bigint[]) AND state = 'pending'",
            delivery_ids,
        )


async def mark_all_delivered(
    connection: DbConnection, delivered: list[tuple[int, int, str]]
) -> None:
    """Mark (delivery id, status, host) rows done and each host alive, in one statement. A host
    whose streak of failures ran (this was its probe, or a delivery sent before its pause) has
    its pause lifted and its postponed deliveries made due now: its backlog drains at once."""
    if not delivered:
        return
    hosts = sorted({host for _, _, host in delivered})  # one row each; sorted against deadlocks
    await connection.execute(
        """
        WITH marked AS (
            UPDATE deliveries d SET state = 'done', last_status = v.status, lease_until = NULL,
                finished_at = now(), last_error = NULL
            FROM unnest($1::bigint[], $2::int[]) AS v(id, status)
            WHERE d.id = v.id),
        was_failing AS (
            SELECT host FROM remote_hosts
            WHERE host = ANY($3::text[]) AND consecutive_failures > 0),
        retried AS (
            UPDATE deliveries SET next_attempt_at = now()
            WHERE host IN (SELECT host FROM was_failing) AND state = 'pending'
              AND next_attempt_at > now() AND id <> ALL($1::bigint[]))
        INSERT INTO remote_hosts AS h (host, last_success_at) SELECT unnest($3::text[]), now()
        ON CONFLICT (host) DO UPDATE SET consecutive_failures = 0, failing_since = NULL,
            last_success_at = now(),
            circuit_open_until = CASE WHEN h.consecutive_failures > 0 THEN NULL
                                      ELSE h.circuit_open_until END
        """,
        [row_id for row_id, _, _ in delivered],
        [status for _, status, _ in delivered],
        hosts,
    )


async def mark_delivered(connection: DbConnection, delivery_id: int, status: int) -> None:
    await connection.execute(
        "UPDATE deliveries SET state = 'done', last_status = $2, lease_until = NULL, "
        "finished_at = now(), last_error = NULL WHERE id = $1",
        delivery_id,
        status,
    )


async def schedule_retry(
    connection: DbConnection,
    delivery_id: int,
    delay_seconds: float | None,
    status: int | None,
    error: str,
    *,
    count_attempt: bool = True,
) -> None:
    """Try again in `delay_seconds` (None: at the time it had); without `count_attempt`, the
    attempt its claim counted is given back (a Retry-After, a probe taken before its time)."""
    await connection.execute(
        """
        UPDATE deliveries SET
            next_attempt_at = coalesce(now() + make_interval(secs => $2), next_attempt_at),
            lease_until = NULL, last_status = $3, last_error = $4,
            attempts = CASE WHEN $5 THEN attempts ELSE greatest(attempts - 1, 0) END
        WHERE id = $1
        """,
        delivery_id,
        delay_seconds,
        status,
        error[:2000],
        count_attempt,
    )


async def fail_due_of_host(
    connection: DbConnection, host: str, policy: RetryPolicy, status: int | None, error: str
) -> int:
    """A probe of `host` failed: it stands for every delivery then due there (and not leased),
    which each count an attempt and wait by their own schedule, or are given up when their
    attempts are used up, as if each had been tried. Returns how many were touched."""
    rows = await connection.fetch(
        "SELECT id, attempts FROM deliveries WHERE host = $1 AND state = 'pending' "
        "AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now()) "
        "FOR UPDATE SKIP LOCKED",
        host,
    )
    if not rows:
        return 0
    attempts = [row["attempts"] + 1 for row in rows]
    await connection.execute(
        """
        UPDATE deliveries d SET attempts = v.attempts, last_status = $4, last_error = $5,
            next_attempt_at = CASE WHEN v.exhausted THEN d.next_attempt_at
                                   ELSE now() + make_interval(secs => v.delay) END,
            state = CASE WHEN v.exhausted THEN 'failed' ELSE d.state END,
            finished_at = CASE WHEN v.exhausted THEN now() ELSE d.finished_at END
        FROM unnest($1::bigint[], $2::int[], $3::float8[], $6::bool[])
            AS v(id, attempts, delay, exhausted)
        WHERE d.id = v.id
        """,
        [row["id"] for row in rows],
        attempts,
        [policy.delay_after(count) for count in attempts],
        status,
        error[:2000],
        [policy.exhausted(count) for count in attempts],
    )
    return len(rows)


async def give_up(
    connection: DbConnection, delivery_id: int, status: int | None, error: str
) -> None:
    await connection.execute(
        "UPDATE deliveries SET state = 'failed', lease_until = NULL, last_status = $2, "
        "last_error = $3, finished_at = now() WHERE id = $1",
        delivery_id,
        status,
        error[:2000],
    )


async def give_up_pending_to(
    connection: DbConnection, host: str, inbox_url: str, error: str
) -> int:
    """Stop delivering to `inbox_url`: its pending rows fail now, leased or not (a delivery in
    flight that gets its 2xx afterwards is still marked done)."""
    result: str = await connection.execute(
        "UPDATE deliveries SET state = 'failed', lease_until = NULL, last_error = $3, "
        "finished_at = now() WHERE host = $1 AND inbox_url = $2 AND state = 'pending'",
        host,
        inbox_url,
        error[:2000],
    )
    return int(result.rsplit(" ", 1)[-1])


@dataclass(frozen=True)
class HostDeliveryState:
    host: str
    pending: int
    done: int
    failed: int
    consecutive_failures: int
    circuit_open_until: Any
    last_success_at: Any
    last_error: str | None


async def delivery_state_by_host(connection: DbConnection) -> list[HostDeliveryState]:
    rows = await connection.fetch(
        """
        SELECT d.host,
               count(*) FILTER (WHERE d.state = 'pending') AS pending,
               count(*) FILTER (WHERE d.state = 'done') AS done,
               count(*) FILTER (WHERE d.state = 'failed') AS failed,
               coalesce(max(h.consecutive_failures), 0) AS consecutive_failures,
               max(h.circuit_open_until) FILTER (WHERE h.circuit_open_until > now())
                   AS circuit_open_until,
               max(h.last_success_at) AS last_success_at,
               (array_agg(d.last_error ORDER BY d.id DESC)
                    FILTER (WHERE d.last_error IS NOT NULL))[1] AS last_error
        FROM deliveries d LEFT JOIN remote_hosts h ON h.host = d.host
        GROUP BY d.host ORDER BY d.host
        """
    )
    return [HostDeliveryState(**dict(row)) for row in rows]


async def page_of_public(
    connection: DbConnection, actor_name: str, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    total: int = await connection.fetchval(
        "SELECT count(*) FROM outbox_activities WHERE actor_name = $1 AND public", actor_name
    )
    rows = await connection.fetch(
        "SELECT payload FROM outbox_activities WHERE actor_name = $1 AND public "
        "ORDER BY id DESC LIMIT $2 OFFSET $3",
        actor_name,
        limit,
        offset,
    )
    return total, [json.loads(row["payload"]) for row in rows]


async def prune_finished_deliveries(
    connection: DbConnection, older_than: datetime, limit: int
) -> int:
    """Delete up to `limit` deliveries done or given up on before `older_than` (the outbox
    itself stays: it is the actors' public outbox). Returns how many went."""
    result: str = await connection.execute(
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries "
        "WHERE state <> 'pending' AND finished_at < $1 LIMIT $2)",
        older_than,
        limit,
    )
    return int(result.rsplit(" ", 1)[-1])


@dataclass(frozen=True)
class PublishedActivity:
    actor_name: str
    activity_type: str
    public: bool
    payload: dict[str, Any]
    object_deleted: bool  # the same actor published a Delete of its object afterwards


async def find_published(connection: DbConnection, activity_id: str) -> PublishedActivity | None:
    """One of our activities by its id, for serving it there."""
    row = await connection.fetchrow(
        """
        SELECT a.actor_name, a.activity_type, a.public, a.payload,
               EXISTS (
                   SELECT 1 FROM outbox_activities d
                   WHERE d.actor_name = a.actor_name AND d.id > a.id
                     AND d.activity_type = 'Delete'
                     AND coalesce(d.payload->'object'->>'id', d.payload->>'object')
                         = coalesce(a.payload->'object'->>'id', a.payload->>'object')
               ) AS object_deleted
        FROM outbox_activities a WHERE a.activity_id = $1
        """,
        activity_id,
    )
    if row is None:
        return None
    return PublishedActivity(
        actor_name=row["actor_name"],
        activity_type=row["activity_type"],
        public=row["public"],
        payload=json.loads(row["payload"]),
        object_deleted=row["object_deleted"],
    )
