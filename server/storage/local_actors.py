"""Actors this node speaks for."""

from __future__ import annotations

from dataclasses import dataclass

from server.database import DbConnection

PLACE = "place"
APPLICATION = "application"
RESERVED_NAMES = frozenset({PLACE, APPLICATION})


@dataclass(frozen=True)
class LocalActor:
    name: str
    kind: str
    display_name: str
    summary: str
    manually_approves_followers: bool
    discoverable: bool


COLUMNS = "name, kind, display_name, summary, manually_approves_followers, discoverable"


async def upsert_local_actor(
    connection: DbConnection,
    name: str,
    kind: str,
    display_name: str,
    account_id: int | None = None,
) -> None:
    await connection.execute(
        """
        INSERT INTO local_actors (name, kind, display_name, account_id) VALUES ($1, $2, $3, $4)
        ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind,
            display_name = EXCLUDED.display_name, account_id = EXCLUDED.account_id
        """,
        name,
        kind,
        display_name,
        account_id,
    )


async def find_local_actor(connection: DbConnection, name: str) -> LocalActor | None:
    row = await connection.fetchrow(f"SELECT {COLUMNS} FROM local_actors WHERE name = $1", name)
    return None if row is None else LocalActor(**dict(row))
