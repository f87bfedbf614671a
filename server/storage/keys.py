"""Key pairs of local actors."""

from __future__ import annotations

from dataclasses import dataclass

from server.database import DbConnection


@dataclass(frozen=True)
class StoredKeyPair:
    actor_name: str
    algorithm: str
    public_pem: str
    private_pem: str

    def __repr__(self) -> str:
        # A key pair printed in a log or a traceback must never show the private half.
        return f"StoredKeyPair(actor_name={self.actor_name!r}, algorithm={self.algorithm!r})"


async def replace_key_pair(connection: DbConnection, pair: StoredKeyPair) -> None:
    await connection.execute(
        """
        INSERT INTO actor_keys (actor_name, algorithm, public_pem, private_pem)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (actor_name, algorithm) DO UPDATE
        SET public_pem = EXCLUDED.public_pem, private_pem = EXCLUDED.private_pem,
            created_at = now()
        """,
        pair.actor_name,
        pair.algorithm,
        pair.public_pem,
        pair.private_pem,
    )


async def key_pairs_of(connection: DbConnection, actor_name: str) -> list[StoredKeyPair]:
    rows = await connection.fetch(
        "SELECT actor_name, algorithm, public_pem, private_pem FROM actor_keys "
        "WHERE actor_name = $1 ORDER BY algorithm",
        actor_name,
    )
    return [StoredKeyPair(**dict(row)) for row in rows]


async def count_key_pairs(connection: DbConnection) -> int:
    count: int = await connection.fetchval("SELECT count(*) FROM actor_keys")
    return count
