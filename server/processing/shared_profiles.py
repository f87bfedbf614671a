"""Profiles neighbouring places share with us: stored from their Announce, dropped on Delete.

Only a place our place follows (accepted) may make us store a profile, and only of a Person on
its own origin; the Person itself may refresh or delete what its place shared, nobody else may.
"""

from __future__ import annotations

import re
from typing import Any

from federation.hosts import canonical_host, same_origin
from schemas.actors import Actor
from schemas.errors import SchemaError
from schemas.objects import Image, Link, PropertyValue
from schemas.parse import parse_actor
from server.database import DbConnection
from server.processing import objects
from server.processing.context import NodeContext
from server.processing.objects import Imported, NothingImported, Outcome, Removed, Shown
from server.processing.sanitise import clean_html, html_text, plain_text
from server.storage import follows, profiles, remote_actors
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE
from server.storage.profiles import Profile, ProfileLink, RemoteProfile, Skill

MAX_SKILLS = 50
MAX_LINKS = 10
MAX_TEXT = 200
HREF = re.compile(r"""href=["'](https?://[^"'<>\s]+)["']""")


def web_url(value: str | None) -> str | None:
    if value and value.startswith(("https://", "http://")) and len(value) <= 2048:
        return value
    return None


def skills_of(actor: Actor) -> list[Skill]:
    vocabulary = {
        plain_text(tag.name): web_url(tag.href)
        for tag in actor.tag
        if isinstance(tag, Link) and tag.name
    }
    names = [plain_text(name)[:MAX_TEXT] for name in actor.skills][:MAX_SKILLS]
    return [Skill(name, vocabulary.get(name)) for name in names if name]


def links_of(actor: Actor) -> list[ProfileLink]:
    found: list[ProfileLink] = []
    for item in actor.attachment:
        if not isinstance(item, PropertyValue) or not item.name or not item.value:
            continue
        anchor = HREF.search(item.value)
        url = web_url(anchor[1] if anchor else html_text(item.value))
        if url:
            found.append(ProfileLink(plain_text(item.name)[:MAX_TEXT], url))
    return found[:MAX_LINKS]


def avatar_of(actor: Actor) -> str | None:
    for icon in actor.icon:
        hrefs = (
            [icon] if isinstance(icon, str) else icon.url_hrefs() if isinstance(icon, Image) else []
        )
        for href in hrefs:
            if web_url(href):
                return href
    return None


def profile_from(actor: Actor) -> Profile:
    return Profile(
        name=plain_text(actor.name)[:MAX_TEXT],
        bio=clean_html(actor.summary),
        skills=skills_of(actor),
        links=links_of(actor),
        avatar=avatar_of(actor),
    )


async def place_we_follow(connection: DbConnection, node: NodeContext, actor: str) -> bool:
    relation = await follows.find_follow(connection, node.urls.actor(PLACE), actor)
    return relation is not None and relation.state == "accepted"


async def take_profile(
    connection: DbConnection,
    node: NodeContext,
    activity: ReceivedActivity,
    document: dict[str, Any],
) -> Outcome:
    person = document.get("id")
    sender = activity.actor_uri
    if not isinstance(person, str) or not same_origin(person, sender):
        return NothingImported("a person of another origin")
    if document.get("profileVisibility") not in (None, "network"):
        return await drop_profile(connection, node, activity, person)
    try:
        actor = parse_actor(document)
    except SchemaError:
        return NothingImported("a person we cannot read")
    existing = await profiles.find_remote_profile(connection, person)
    if person == sender:
        # A member's own Update refreshes what its place shared; it shares nothing by itself.
        if existing is None:
            return NothingImported("a profile no place we follow shared")
        place = existing.place
    elif await place_we_follow(connection, node, sender):
        place = sender
    else:
        return NothingImported("a profile shared by a place we do not follow")
    if (
        existing is not None
        and existing.updated
        and actor.updated
        and actor.updated < existing.updated
    ):
        # An older copy (a backfill after a live update, a retried delivery).
        return NothingImported("an older version")
    shared = RemoteProfile(person, place, profile_from(actor), actor.updated)
    await profiles.store_remote_profile(connection, shared, canonical_host(person))
    return Imported(person, Shown("profile", profile_item(person, shared.profile)))


def profile_item(person: str, profile: Profile) -> dict[str, Any]:
    """The stream item of a stored profile: its name and skills."""
    skills = [skill.name for skill in profile.skills]
    return {"id": person, "name": profile.name, "skills": skills, "tags": list(skills)}


async def drop_profile(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity, object_id: str
) -> Removed | NothingImported:
    removed = await profiles.remove_remote_profile(connection, object_id, activity.actor_uri)
    if not removed:
        return NothingImported("no profile this actor may remove")
    if object_id != activity.actor_uri:
        # The cached actor document holds the same profile: it goes too.
        await remote_actors.forget_remote_actor(connection, object_id)
    return Removed((object_id,))


class SharedProfiles:
    async def created(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Outcome:
        return await take_profile(connection, node, activity, document)

    async def updated(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Outcome:
        return await take_profile(connection, node, activity, document)

    async def deleted(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        object_id: str,
    ) -> Removed | NothingImported:
        return await drop_profile(connection, node, activity, object_id)


objects.register(("Person",), SharedProfiles())
