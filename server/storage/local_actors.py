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
    visibility: str

    @property
    def federated(self) -> bool:
        """Only `network` actors are ever shown to, or act towards, other servers."""
        return self.visibility == "network"


COLUMNS = "name, kind, display_name, summary, manually_approves_followers, discoverable, visibility"


async def upsert_local_actor(
    connection: DbConnection,
    name: str,
    kind: str,
    display_name: str,
    account_id: int | None = None,
    visibility: str = "private",
) -> None:
    await connection.execute(
        """
        INSERT INTO local_actors (name, kind, display_name, account_id, visibility)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind,
            display_name = EXCLUDED.display_name, account_id = EXCLUDED.account_id
        """,
        name,
        kind,
        display_name,
        account_id,
        visibility,
    )


async def find_local_actor(connection: DbConnection, name: str) -> LocalActor | None:
    row = await connection.fetchrow(f"SELECT {COLUMNS} FROM local_actors WHERE name = $1", name)
    return None if row is None else LocalActor(**dict(row))


async def find_federated_actor(connection: DbConnection, name: str) -> LocalActor | None:
    """The actor if it may be shown to other servers; a private one is as good as absent."""
    actor = await find_local_actor(connection, name)
    return actor if actor is not None and actor.federated else None


async def set_visibility(connection: DbConnection, name: str, visibility: str) -> bool:
    result: str = await connection.execute(
        "UPDATE local_actors SET visibility = $2 WHERE name = $1 AND kind = 'Person'",
        name,
        visibility,
    )
    return result != "UPDATE 0"
