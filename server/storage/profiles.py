"""Members' profiles: our own members' fields, and the profiles neighbouring places shared."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.database import DbConnection


@dataclass(frozen=True)
class Skill:
    name: str
    uri: str | None  # a public vocabulary entry (an ESCO skill URI, for instance)


@dataclass(frozen=True)
class ProfileLink:
    label: str
    url: str


@dataclass(frozen=True)
class Profile:
    """A profile's fields, wherever it lives."""

    name: str
    bio: str  # sanitised HTML
    skills: list[Skill]
    links: list[ProfileLink]
    avatar: str | None


@dataclass(frozen=True)
class LocalProfile:
    actor_name: str
    visibility: str
    profile: Profile
    updated_at: datetime | None


@dataclass(frozen=True)
class RemoteProfile:
    person: str
    place: str
    profile: Profile
    updated: datetime | None


def encode_skills(skills: list[Skill]) -> str:
    return json.dumps([{"name": skill.name, "uri": skill.uri} for skill in skills])


def encode_links(links: list[ProfileLink]) -> str:
    return json.dumps([{"label": link.label, "url": link.url} for link in links])


def profile_from_row(row: Any) -> Profile:
    return Profile(
        name=row["name"] or "",
        bio=row["bio"] or "",
        skills=[Skill(item["name"], item.get("uri")) for item in json.loads(row["skills"] or "[]")],
        links=[
            ProfileLink(item["label"], item["url"]) for item in json.loads(row["links"] or "[]")
        ],
        avatar=row["avatar"],
    )


LOCAL_QUERY = """
    SELECT a.name AS actor_name, a.visibility, coalesce(p.name, '') AS name,
           coalesce(p.bio, '') AS bio, coalesce(p.skills, '[]')::text AS skills,
           coalesce(p.links, '[]')::text AS links, p.avatar, p.updated_at
    FROM local_actors a LEFT JOIN profiles p ON p.actor_name = a.name
    WHERE a.kind = 'Person'
"""


def local_from_row(row: Any) -> LocalProfile:
    return LocalProfile(
        row["actor_name"], row["visibility"], profile_from_row(row), row["updated_at"]
    )


async def find_profile(connection: DbConnection, actor_name: str) -> LocalProfile | None:
    row = await connection.fetchrow(LOCAL_QUERY + " AND a.name = $1", actor_name)
    return None if row is None else local_from_row(row)


async def save_profile(connection: DbConnection, actor_name: str, profile: Profile) -> None:
    await connection.execute(
        """
        INSERT INTO profiles (actor_name, name, bio, skills, links, avatar)
        VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)
        ON CONFLICT (actor_name) DO UPDATE SET name = EXCLUDED.name, bio = EXCLUDED.bio,
            skills = EXCLUDED.skills, links = EXCLUDED.links, avatar = EXCLUDED.avatar,
            updated_at = now()
        """,
        actor_name,
        profile.name,
        profile.bio,
        encode_skills(profile.skills),
        encode_links(profile.links),
        profile.avatar,
    )


async def profiles_shown_to(connection: DbConnection, viewer: str) -> list[LocalProfile]:
    """What a member of this node may see: `members` and `network` profiles, and their own."""
    rows = await connection.fetch(
        LOCAL_QUERY
        + " AND (a.visibility IN ('members', 'network') OR a.name = $1) ORDER BY a.name",
        viewer,
    )
    return [local_from_row(row) for row in rows]


async def shared_inboxes(connection: DbConnection, place_name: str, person: str) -> list[str]:
    """Every inbox our place's announces of `person` were queued for, delivered or not."""
    rows = await connection.fetch(
        """
        SELECT DISTINCT d.inbox_url FROM deliveries d
        JOIN outbox_activities o ON o.id = d.outbox_id
        WHERE o.actor_name = $1 AND o.activity_type = 'Announce'
          AND o.payload->'object'->>'id' = $2
        """,
        place_name,
        person,
    )
    return [row["inbox_url"] for row in rows]


async def remove_announces(connection: DbConnection, place_name: str, person: str) -> int:
    """Drop our place's announces of `person`: from the outbox and, by cascade, their pending
    deliveries, so that no copy of a withdrawn profile is sent or served afterwards."""
    result: str = await connection.execute(
        """
        DELETE FROM outbox_activities WHERE actor_name = $1 AND activity_type = 'Announce'
          AND payload->'object'->>'id' = $2
        """,
        place_name,
        person,
    )
    return int(result.split()[-1])


async def store_remote_profile(connection: DbConnection, shared: RemoteProfile, host: str) -> None:
    profile = shared.profile
    await connection.execute(
        """
        INSERT INTO remote_profiles (person, place, host, name, bio, skills, links, avatar, updated)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9)
        ON CONFLICT (person) DO UPDATE SET place = EXCLUDED.place, host = EXCLUDED.host,
            name = EXCLUDED.name, bio = EXCLUDED.bio, skills = EXCLUDED.skills,
            links = EXCLUDED.links, avatar = EXCLUDED.avatar, updated = EXCLUDED.updated,
            received_at = now()
        """,
        shared.person,
        shared.place,
        host,
        profile.name,
        profile.bio,
        encode_skills(profile.skills),
        encode_links(profile.links),
        profile.avatar,
        shared.updated,
    )


async def find_remote_profile(connection: DbConnection, person: str) -> RemoteProfile | None:
    row = await connection.fetchrow(
        "SELECT person, place, name, bio, skills::text AS skills, links::text AS links, avatar, "
        "updated FROM remote_profiles WHERE person = $1",
        person,
    )
    if row is None:
        return None
    return RemoteProfile(row["person"], row["place"], profile_from_row(row), row["updated"])


async def remove_profiles_shared_by(connection: DbConnection, place: str) -> list[str]:
    """Drop every profile `place` shared with us; returns the persons whose profile went."""
    rows = await connection.fetch(
        "DELETE FROM remote_profiles WHERE place = $1 RETURNING person", place
    )
    return [row["person"] for row in rows]


async def remove_remote_profile(connection: DbConnection, person: str, by: str) -> bool:
    """Remove `person`'s profile if `by` may: the person itself or the place that shared it."""
    result: str = await connection.execute(
        "DELETE FROM remote_profiles WHERE person = $1 AND (person = $2 OR place = $2)",
        person,
        by,
    )
    return result != "DELETE 0"
