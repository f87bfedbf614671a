"""The place's own profile, and the place details of remote Group actors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from server.database import DbConnection

# A place that has not set its zone yet: the project's places are in France first.
DEFAULT_ZONE = "Europe/Paris"


async def load_profile(
    connection: DbConnection, *, for_update: bool = False
) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    raw = await connection.fetchval(f"SELECT profile FROM place_profile{lock}")
    if raw is None:
        return None
    loaded: dict[str, Any] = json.loads(raw)
    return loaded


async def place_zone(connection: DbConnection) -> str:
    """The place's time zone (an IANA name, checked when the profile was saved): the clock of
    what names none, such as a call's deadline, and the zone a new event's form starts with."""
    zone: str | None = await connection.fetchval("SELECT profile ->> 'timezone' FROM place_profile")
    return zone or DEFAULT_ZONE


async def save_profile(
    connection: DbConnection, profile: dict[str, Any], actor_name: str, summary_html: str
) -> None:
    """Store the profile and mirror its name, description and follower policy on the Group
    actor's row (which the actor document and the inbox read)."""
    await connection.execute(
        """
        INSERT INTO place_profile (singleton, profile) VALUES (true, $1::jsonb)
        ON CONFLICT (singleton) DO UPDATE SET profile = EXCLUDED.profile, updated_at = now()
        """,
        json.dumps(profile),
    )
    await connection.execute(
        "UPDATE local_actors SET display_name = $2, summary = $3, "
        "manually_approves_followers = $4 WHERE name = $1",
        actor_name,
        profile["name"],
        summary_html,
        bool(profile.get("manually_approves_followers", False)),
    )


@dataclass(frozen=True)
class RemotePlaceProfile:
    actor_uri: str
    name: str | None = None
    summary: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    address_locality: str | None = None
    address_region: str | None = None
    address_country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None
    opening_hours: list[dict[str, Any]] = field(default_factory=list)
    opening_hours_exception: list[dict[str, Any]] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    space_kinds: list[str] = field(default_factory=list)
    accessibility: list[str] = field(default_factory=list)
    prices: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


_JSON_COLUMNS = ("opening_hours", "opening_hours_exception", "prices")
_COLUMNS = tuple(RemotePlaceProfile.__dataclass_fields__)


async def save_remote_place(connection: DbConnection, place: RemotePlaceProfile) -> None:
    values = [
        json.dumps(getattr(place, column)) if column in _JSON_COLUMNS else getattr(place, column)
        for column in _COLUMNS
    ]
    placeholders = ", ".join(
        f"${index}::jsonb" if column in _JSON_COLUMNS else f"${index}"
        for index, column in enumerate(_COLUMNS, start=1)
    )
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in _COLUMNS[1:])
    await connection.execute(
        f"INSERT INTO remote_place_profiles ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
        f"ON CONFLICT (actor_uri) DO UPDATE SET {updates}, updated_at = now()",
        *values,
    )


async def find_remote_place(connection: DbConnection, actor_uri: str) -> RemotePlaceProfile | None:
    row = await connection.fetchrow(
        f"SELECT {', '.join(_COLUMNS)} FROM remote_place_profiles WHERE actor_uri = $1", actor_uri
    )
    if row is None:
        return None
    values = dict(row)
    for column in _JSON_COLUMNS:
        values[column] = json.loads(values[column])
    return RemotePlaceProfile(**values)


async def forget_remote_place(connection: DbConnection, actor_uri: str) -> None:
    await connection.execute("DELETE FROM remote_place_profiles WHERE actor_uri = $1", actor_uri)
