"""Following and unfollowing neighbours by handle or URL, and listing them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from federation.fetcher import FetchError, SafeFetcher
from federation.hosts import InvalidHost, canonical_host
from server.processing.context import NodeContext
from server.processing.errors import ProcessingError
from server.processing.follow_requests import answer_follower, follow_remote, unfollow_remote
from server.processing.remote_actors import ActorUnavailable, RemoteActorDirectory
from server.storage import follows, local_actors, remote_actors
from server.storage.local_actors import PLACE


class NeighbourError(ProcessingError):
    """The neighbour cannot be resolved, followed or answered; the code and message say why."""


@dataclass(frozen=True)
class Neighbour:
    uri: str
    name: str | None
    handle: str | None
    we_follow: str | None  # state of our place's follow, if any
    follows_us: str | None  # state of their follow of our place, if any


def split_handle(target: str) -> tuple[str, str]:
    """`acct:user@host`, `@user@host` or `user@host` as (user, canonical host)."""
    handle = target.strip().removeprefix("acct:").removeprefix("@")
    user, at, domain = handle.rpartition("@")
    if not at or not user or not domain:
        raise NeighbourError(
            "not-a-handle", f"{target!r} is neither a URL nor a handle like name@domain"
        )
    try:
        return user, canonical_host(domain)
    except InvalidHost as error:
        raise NeighbourError("not-a-handle", f"{target!r}: {error}") from None


async def resolve_actor_uri(fetcher: SafeFetcher, target: str, development: bool) -> str:
    """An actor id from a URL as is, or from a handle through WebFinger."""
    if target.startswith(("https://", "http://")):
        return target
    user, host = split_handle(target)
    scheme = "http" if development else "https"
    resource = f"acct:{user}@{host}"
    url = f"{scheme}://{host}/.well-known/webfinger?resource={resource}"
    try:
        document = await fetcher.fetch_json(url)
    except FetchError as error:
        raise NeighbourError(
            "no-answer", f"WebFinger lookup of {resource} failed: {error}"
        ) from None
    href = self_link(document.data)
    if href is None:
        raise NeighbourError("no-answer", f"WebFinger for {resource} names no ActivityPub actor")
    return href


def self_link(jrd: dict[str, Any]) -> str | None:
    links = jrd.get("links")
    if not isinstance(links, list):
        return None
    for link in links:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and isinstance(link.get("href"), str)
            and str(link.get("type", "")).startswith(
                ("application/activity+json", "application/ld+json")
            )
        ):
            return str(link["href"])
    return None


async def follow_neighbour(
    pool: asyncpg.Pool,
    node: NodeContext,
    directory: RemoteActorDirectory,
    fetcher: SafeFetcher,
    target: str,
    development: bool,
    actor_name: str = PLACE,
) -> str:
    """`actor_name` (our place by default) follows `target`; returns the actor id.

    The Accept arrives later. A member follows as their Person actor, which must be shared with
    the network: the followed server will fetch it to check the signature.
    """
    async with pool.acquire() as connection:
        follower = await local_actors.find_local_actor(connection, actor_name)
    if follower is None:
        raise NeighbourError("no-such-actor", f"no local actor named {actor_name!r}")
    if not follower.federated:
        raise NeighbourError(
            "profile-not-shared",
            f"{actor_name}'s profile is not shared with the network; share it before following",
        )
    uri = await resolve_actor_uri(fetcher, target, development)
    if node.urls.is_local(uri):
        raise NeighbourError("own-node", "follow an actor of another node, not one of this node")
    try:
        await directory.refresh_actor(uri)
    except ActorUnavailable as error:
        raise NeighbourError("no-answer", str(error)) from None
    async with pool.acquire() as connection, connection.transaction():
        await follow_remote(connection, node, actor_name, uri)
    return uri


async def unfollow_neighbour(
    pool: asyncpg.Pool,
    node: NodeContext,
    fetcher: SafeFetcher,
    target: str,
    development: bool,
    actor_name: str = PLACE,
) -> str:
    uri = await resolve_actor_uri(fetcher, target, development)
    async with pool.acquire() as connection, connection.transaction():
        if not await unfollow_remote(connection, node, actor_name, uri):
            raise NeighbourError("not-following", f"{actor_name} does not follow {uri}")
    return uri


async def list_neighbours(pool: asyncpg.Pool, node: NodeContext) -> list[Neighbour]:
    place = node.urls.actor(PLACE)
    async with pool.acquire() as connection:
        relations = await follows.all_relations(connection)
        others = {r.followed for r in relations if r.follower == place} | {
            r.follower for r in relations if r.followed == place
        }
        known = {uri: await remote_actors.find_remote_actor(connection, uri) for uri in others}
    state = {(r.follower, r.followed): r.state for r in relations}
    neighbours = []
    for uri in sorted(others):
        actor = known.get(uri)
        handle = (
            f"{actor.preferred_username}@{actor.host}"
            if actor is not None and actor.preferred_username
            else None
        )
        neighbours.append(
            Neighbour(
                uri=uri,
                name=actor.display_name if actor else None,
                handle=handle,
                we_follow=state.get((place, uri)),
                follows_us=state.get((uri, place)),
            )
        )
    return neighbours


async def answer_follower_of_place(
    pool: asyncpg.Pool, node: NodeContext, target: str, accept: bool
) -> str:
    """Accept or refuse the waiting Follow of the place by `target`, its id or its handle as the
    neighbours list shows it (a follower is known here already: no lookup). Its actor id."""
    waiting = [n for n in await list_neighbours(pool, node) if n.follows_us == "pending"]
    handle = target.strip().removeprefix("acct:").removeprefix("@")
    found = [n.uri for n in waiting if target.strip() in (n.uri, n.handle) or handle == n.handle]
    if not found:
        raise NeighbourError("not-pending", f"{target!r} does not wait for an answer")
    async with pool.acquire() as connection, connection.transaction():
        if not await answer_follower(connection, node, found[0], accept):
            raise NeighbourError("not-pending", f"{target!r} does not wait for an answer")
    return found[0]
