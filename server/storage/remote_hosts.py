"""Per-host state: the circuit breaker and the signature scheme the host accepts.

`consecutive_failures` counts failed probes in a row (not failed deliveries); `failing_since`
is when the streak began; `circuit_open_until` is when the host's pause ends, be it a pause of
the breaker (a streak is running) or one the host asked for with Retry-After (no streak).
"""

from __future__ import annotations

from collections.abc import Callable

from server.database import DbConnection
from server.storage.outbox import DELIVERY_CHANNEL


async def record_host_down(
    connection: DbConnection, host: str, pause_after: Callable[[float], float]
) -> bool:
    """The host looked down: unless it is already paused (deliveries sent before the pause
    began fail too, and count once), add a failed probe to its streak and pause it for
    `pause_after(seconds it has been failing)`. Returns whether this failure counted."""
    failing_for: float | None = await connection.fetchval(
        "SELECT extract(epoch FROM now() - failing_since)::float8 FROM remote_hosts "
        "WHERE host = $1",
        host,
    )
    counted: int | None = await connection.fetchval(
        """
        INSERT INTO remote_hosts AS h (host, consecutive_failures, last_failure_at, failing_since,
                                       circuit_open_until)
        VALUES ($1, 1, now(), now(), now() + make_interval(secs => $2::float8))
        ON CONFLICT (host) DO UPDATE SET
            consecutive_failures = h.consecutive_failures + 1,
            last_failure_at = now(),
            failing_since = coalesce(h.failing_since, now()),
            circuit_open_until = EXCLUDED.circuit_open_until
        WHERE h.circuit_open_until IS NULL OR h.circuit_open_until <= now()
        RETURNING h.consecutive_failures
        """,
        host,
        pause_after(failing_for or 0.0),
    )
    return counted is not None


async def record_throttle(connection: DbConnection, host: str, seconds: float) -> None:
    """The host asked us to wait (429, or 503 with Retry-After): pause it that long, without
    counting a failure (its streak, if any, stays as it is)."""
    await connection.execute(
        """
        INSERT INTO remote_hosts AS h (host, circuit_open_until)
        VALUES ($1, now() + make_interval(secs => $2::float8))
        ON CONFLICT (host) DO UPDATE SET circuit_open_until = greatest(h.circuit_open_until,
            EXCLUDED.circuit_open_until)
        """,
        host,
        seconds,
    )


async def close_circuit(connection: DbConnection, host: str) -> None:
    """The host proved alive (it sent us a signed request, or answered a delivery): if a streak
    of failures ran, it ends and the host's postponed deliveries are due now."""
    await connection.execute(
        """
        WITH healed AS (
            UPDATE remote_hosts SET circuit_open_until = NULL, consecutive_failures = 0,
                failing_since = NULL
            WHERE host = $1 AND consecutive_failures > 0 RETURNING host)
        UPDATE deliveries SET next_attempt_at = now()
        WHERE host IN (SELECT host FROM healed) AND state = 'pending' AND next_attempt_at > now()
        """,
        host,
    )


async def retry_now(connection: DbConnection, host: str) -> int | None:
    """An operator lifts the host's pause, whatever its cause, and makes its pending deliveries
    due now. Returns how many are pending, or None when we know nothing of the host."""
    known: bool = await connection.fetchval(
        "SELECT EXISTS (SELECT FROM remote_hosts WHERE host = $1) "
        "OR EXISTS (SELECT FROM deliveries WHERE host = $1)",
        host,
    )
    if not known:
        return None
    await connection.execute(
        "UPDATE remote_hosts SET circuit_open_until = NULL, consecutive_failures = 0, "
        "failing_since = NULL WHERE host = $1",
        host,
    )
    result: str = await connection.execute(
        "UPDATE deliveries SET next_attempt_at = least(next_attempt_at, now()) "
        "WHERE host = $1 AND state = 'pending'",
        host,
    )
    await connection.execute("SELECT pg_notify($1, '')", DELIVERY_CHANNEL)
    return int(result.rsplit(" ", 1)[-1])


async def remember_signature_scheme(connection: DbConnection, host: str, scheme: str) -> None:
    await connection.execute(
        """
        INSERT INTO remote_hosts (host, signature_scheme) VALUES ($1, $2)
        ON CONFLICT (host) DO UPDATE SET signature_scheme = EXCLUDED.signature_scheme
        WHERE remote_hosts.signature_scheme IS DISTINCT FROM EXCLUDED.signature_scheme
        """,
        host,
        scheme,
    )
