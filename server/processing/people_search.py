"""The people search as one viewer sees it, for the page and the API alike (one rule): the
profiles shared network-wide, without those of limited domains and without the actors the
viewer blocks."""

from __future__ import annotations

from collections.abc import Callable

from federation.hosts import canonical_host
from schemas.api_directory import PeopleQuery
from server.database import DbConnection
from server.storage import blocks, directory
from server.storage.directory import SharedProfile


async def people_seen_by(
    connection: DbConnection,
    query: PeopleQuery,
    limited: Callable[[str], bool],
    viewer: str | None,
) -> list[SharedProfile]:
    """The profiles `query` finds, as the account `viewer` may see them (None: a visitor, who
    blocks nobody). `limited`: DomainPolicies.limits_url."""
    found = await directory.shared_profiles(connection, query.skill, query.q, query.limit)
    found = without_limited(found, limited)
    if viewer is None:
        return found
    hidden = {block.actor_uri for block in await blocks.list_blocks(connection, viewer)}
    return [shared for shared in found if shared.actor not in hidden]


def without_limited(
    found: list[SharedProfile], limited: Callable[[str], bool]
) -> list[SharedProfile]:
    """The people search without remote profiles of limited domains (DomainPolicies.limits_url),
    unless the place that shared the profile, which we follow, is on the person's own host."""
    return [
        profile
        for profile in found
        if profile.actor is None
        or not limited(profile.actor)
        or (profile.place is not None and same_host(profile.actor, profile.place))
    ]


def same_host(first: str, second: str) -> bool:
    try:
        return canonical_host(first) == canonical_host(second)
    except ValueError:
        return False
