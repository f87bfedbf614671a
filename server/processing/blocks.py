"""Actor blocks, as Mastodon does them, and the one border where a blocked sender stops.

Blocking (Mastodon's `BlockService`): our follow of the actor ends with an Undo, its follow of
us ends with a Reject, then a `Block` goes to the actor's inbox. Unblocking (`UnblockService`)
sends `Undo` of that Block. A block by the place holds for the whole node: every follow with
the actor ends and what it sent us leaves the agenda, calls, people search and wall. A block by
a member ends only the member's follows with it.

At the border (`refused`, called by `activities.process_activity` before any handler): a
blocked actor's Follow is answered with a Reject, as Mastodon's `ActivityPub::Activity::Follow`
does for `blocking?`, and a Join of one of our events with a Reject too (our Join answers follow
the Follow's), each at most once per window (`answer_repeats`). Anything else from an actor the
place blocks is dropped, but its Deletes, which only remove what it sent; and so is whatever
carries an object attributed to such an actor (or that actor itself), whoever sends it, so that
a followed neighbour's Announce cannot bring it back.
"""

from __future__ import annotations

import secrets

import asyncpg
import structlog

from federation.fetcher import SafeFetcher
from server.database import DbConnection
from server.processing import follow_requests
from server.processing.answer_repeats import answer_once
from server.processing.context import NodeContext
from server.processing.neighbours import NeighbourError, resolve_actor_uri
from server.processing.payloads import embedded_actors, object_id_of
from server.processing.publish import publish
from server.processing.remote_actors import ActorUnavailable, RemoteActorDirectory
from server.processing.rsvp.answers import answer_join, embedded_join
from server.storage import (
    answered_requests,
    blocks,
    events,
    follows,
    local_actors,
    moderation_log,
    remote_actors,
)
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE

log = structlog.get_logger(__name__)

# What a blocked actor may still send: removing what it sent us is always welcome.
ALWAYS_TAKEN = frozenset({"Delete"})


class BlockError(Exception):
    """The block or unblock cannot be done; the message says why."""


async def resolve_target(
    node: NodeContext,
    directory: RemoteActorDirectory,
    fetcher: SafeFetcher,
    target: str,
    development: bool,
) -> str:
    """The remote actor a URL or handle names, fetched when its server answers: a server that
    is down must not keep the place from blocking one of its actors."""
    try:
        uri = await resolve_actor_uri(fetcher, target, development)
    except NeighbourError as error:
        raise BlockError(str(error)) from None
    if node.urls.is_local(uri):
        raise BlockError("block an actor of another node, not one of this node")
    try:
        await directory.refresh_actor(uri)
    except ActorUnavailable as error:
        log.info("blocking an actor we cannot fetch", actor=uri, reason=str(error))
    return uri


async def block(
    pool: asyncpg.Pool,
    node: NodeContext,
    *,
    blocker: str,
    actor_uri: str,
    who: str,
    reason: str = "",
) -> bool:
    """`blocker` (a local actor name) blocks `actor_uri`; False if it did already."""
    async with pool.acquire() as connection, connection.transaction():
        blocker_actor = await local_actors.find_local_actor(connection, blocker)
        if blocker_actor is None:
            raise BlockError(f"no local actor named {blocker!r}")
        activity_id = node.urls.activity(f"block-{secrets.token_urlsafe(12)}")
        if not await blocks.add_block(connection, blocker, actor_uri, activity_id, reason):
            return False
        await end_relations(connection, node, blocker, actor_uri)
        if blocker_actor.federated and await remote_actors.known(connection, actor_uri):
            await publish(
                connection,
                node.urls,
                blocker,
                {"id": activity_id, "type": "Block", "object": actor_uri, "to": [actor_uri]},
                to_followers=False,
                recipients=[actor_uri],
                on_stream=False,
            )
        await moderation_log.record(
            connection,
            who=who,
            action="block",
            target=actor_uri,
            reason=reason,
            details={"blocker": blocker},
        )
    return True


async def unblock(
    pool: asyncpg.Pool, node: NodeContext, *, blocker: str, actor_uri: str, who: str
) -> bool:
    """Lift the block and send `Undo` of the Block we sent; False if there was none."""
    async with pool.acquire() as connection, connection.transaction():
        removed = await blocks.remove_block(connection, blocker, actor_uri)
        if removed is None:
            return False
        # The Rejects it got while blocked no longer hold back the answers it is owed now.
        await answered_requests.forget(connection, actor_uri)
        blocker_actor = await local_actors.find_federated_actor(connection, blocker)
        if blocker_actor is not None and await remote_actors.known(connection, actor_uri):
            blocked_by = node.urls.actor(blocker)
            await publish(
                connection,
                node.urls,
                blocker,
                {
                    "type": "Undo",
                    "to": [actor_uri],
                    "object": {
                        "id": removed.block_activity_id,
                        "type": "Block",
                        "actor": blocked_by,
                        "object": actor_uri,
                    },
                },
                to_followers=False,
                recipients=[actor_uri],
                on_stream=False,
            )
        await moderation_log.record(
            connection, who=who, action="unblock", target=actor_uri, details={"blocker": blocker}
        )
    return True


async def end_relations(
    connection: DbConnection, node: NodeContext, blocker: str, actor_uri: str
) -> None:
    """Mastodon's BlockService: unfollow both ways. For the place, every local actor's follows
    with the actor end and its imports go; for a member, only the member's."""
    for relation in await follows.relations_with(connection, actor_uri):
        ours = relation.followed if relation.follower == actor_uri else relation.follower
        name = node.urls.local_actor_name(ours)
        if name is None or (blocker != PLACE and name != blocker):
            continue
        if relation.follower == actor_uri:
            await follows.remove_follow(connection, actor_uri, ours)
            if relation.state != "rejected":
                await follow_requests.send_answer(
                    connection, node, name, actor_uri, relation.follow_activity_id, "Reject", False
                )
        else:
            await follow_requests.unfollow_remote(connection, node, name, actor_uri)
    if blocker == PLACE:
        # What it sent us leaves as when the last follow of it ends, and so does what is its
        # own but a neighbour announced.
        await follow_requests.follow_ended(connection, actor_uri, blocked=True)


async def refused(connection: DbConnection, node: NodeContext, activity: ReceivedActivity) -> bool:
    """Whether a block here stops `activity` (answering a Follow or Join with a Reject): one the
    sender is blocked for, or one that carries an object of an actor the place blocks, whoever
    sends it (a neighbour's Announce of a blocked actor's event)."""
    if activity.activity_type in ALWAYS_TAKEN:
        return False
    blockers = await blocks.blockers_of(connection, activity.actor_uri)
    if blockers and await refused_sender(connection, node, activity, blockers):
        return True
    authors = [uri for uri in embedded_actors(activity.payload) if uri != activity.actor_uri]
    if authors and PLACE in await blocks.blockers_of(connection, *authors):
        log.info("object of a blocked actor dropped", actor=activity.actor_uri, authors=authors)
        return True
    return False


async def refused_sender(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity, blockers: set[str]
) -> bool:
    target = object_id_of(activity.payload)
    named = None if target is None else node.urls.local_actor_name(target)
    if activity.activity_type == "Follow" and target is not None and named is not None:
        if PLACE not in blockers and named not in blockers:
            return False
        await answer_once(
            connection,
            activity.actor_uri,
            target,
            "Reject",
            lambda: follow_requests.send_answer(
                connection, node, named, activity.actor_uri, activity.activity_id, "Reject", False
            ),
        )
        log.info("follow of a blocking actor refused", actor=activity.actor_uri, followed=named)
        return True
    if PLACE not in blockers:
        return False
    if activity.activity_type == "Join" and target is not None:
        event = await events.find_by_ap_id(connection, target)
        if event is not None and event.local:
            join = {**activity.payload, "id": activity.activity_id, "actor": activity.actor_uri}
            embedded = embedded_join(join, event)
            await answer_once(
                connection,
                activity.actor_uri,
                target,
                "Reject",
                lambda: answer_join(connection, node.urls, "rejected", embedded, on_stream=False),
            )
    log.info("activity of a blocked actor dropped", actor=activity.actor_uri)
    return True


async def receive_block(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> None:
    """A remote actor blocks one of ours: as Mastodon's `ActivityPub::Activity::Block`, the
    follows between the two end both ways, without a word back."""
    target = object_id_of(activity.payload)
    name = None if target is None else node.urls.local_actor_name(target)
    if target is None or name is None:
        return
    blocker = activity.actor_uri
    ended = await follows.remove_follow(connection, target, blocker)
    await follows.remove_follow(connection, blocker, target)
    if ended:
        await follow_requests.follow_ended(connection, blocker)
    log.info("blocked by a remote actor", blocker=blocker, blocked=name)
