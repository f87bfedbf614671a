"""Per-host state: the circuit breaker and the signature scheme the host accepts."""

from __future__ import annotations

from server.database import DbConnection


async def record_success(connection: DbConnection, host: str) -> None:
    await connection.execute(
        """
        INSERT INTO remote_hosts (host, last_success_at) VALUES ($1, now())
        ON CONFLICT (host) DO UPDATE SET consecutive_failures = 0, circuit_open_until = NULL,
            last_success_at = now()
        """,
        host,
    )


async def record_failure(
    connection: DbConnection, host: str, threshold: int, base_seconds: float, cap: float
) -> None:
    """Count a failure; from `threshold` on, open the circuit for a span doubling each time."""
    await connection.execute(
        """
        INSERT INTO remote_hosts (host, consecutive_failures, last_failure_at) VALUES ($1, 1, now())
        ON CONFLICT (host) DO UPDATE SET
            consecutive_failures = remote_hosts.consecutive_failures + 1,
            last_failure_at = now(),
            circuit_open_until = CASE
                WHEN remote_hosts.consecutive_failures + 1 >= $2
                THEN now() + make_interval(secs => least($4, $3 * power(2,
                    remote_hosts.consecutive_failures + 1 - $2)))
                ELSE remote_hosts.circuit_open_until END
        """,
        host,
        threshold,
        base_seconds,
        cap,
    )


async def close_circuit(connection: DbConnection, host: str) -> None:
    """The host proved alive (it sent us a signed request): retry its deliveries now."""
    result: str = await connection.execute(
        "UPDATE remote_hosts SET circuit_open_until = NULL, consecutive_failures = 0 "
        "WHERE host = $1 AND (circuit_open_until IS NOT NULL OR consecutive_failures > 0)",
        host,
    )
    if result != "UPDATE 0":
        await connection.execute(
            "UPDATE deliveries SET next_attempt_at = now() WHERE host = $1 AND state = 'pending'",
            host,
        )


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
