"""Follow, Accept, Reject and Undo, in both directions."""

from __future__ import annotations

import secrets
from typing import Any

import structlog

from federation.hosts import canonical_host
from server.database import DbConnection
from server.processing import actor_lifecycle, live_feed
from server.processing.answer_repeats import ANSWER_REPEATS_EVERY
from server.processing.context import NodeContext
from server.processing.publish import publish
from server.storage import (
    backfill_jobs,
    directory,
    events,
    follows,
    local_actors,
    open_calls,
    outbox,
    profiles,
    remote_actors,
    stream,
)
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE

log = structlog.get_logger(__name__)


async def receive_follow(
    connection: DbConnection,
    node: NodeContext,
    follower: str,
    followed: str,
    activity_id: str,
) -> None:
    """A remote actor asks to follow one of ours: accept now, or wait for a human."""
    name = node.urls.local_actor_name(followed)
    actor = None if name is None else await local_actors.find_federated_actor(connection, name)
    if name is None or actor is None:
        log.info("follow of an unknown local actor ignored", followed=followed)
        return
    existing = await follows.find_follow(connection, follower, followed)
    if existing is not None and existing.state == "accepted":
        # A repeat: the state stays, and the Accept goes again only if the last one is old
        # enough that the sender may have lost it (ANSWER_REPEATS_EVERY), off the stream.
        if await follows.renew_accepted(
            connection, follower, followed, activity_id, ANSWER_REPEATS_EVERY
        ):
            await send_answer(connection, node, name, follower, activity_id, "Accept", False)
        return
    if actor.manually_approves_followers:
        await follows.record_follow(connection, follower, followed, activity_id, "pending")
        return
    await follows.record_follow(
        connection, follower, followed, activity_id, "accepted", answered=True
    )
    # Anyone may follow a place that accepts every follower: only one the place follows too
    # (FEDERATION.md, "What is shown from whom") shows on the wall, with the name it chose.
    ours = await follows.find_follow(connection, node.urls.actor(PLACE), follower)
    if name == PLACE and ours is not None and ours.state == "accepted":
        await announce_neighbour(connection, node, follower, "follows us")
    await send_answer(connection, node, name, follower, activity_id, "Accept")


async def answer_follower(
    connection: DbConnection, node: NodeContext, follower: str, accept: bool
) -> bool:
    """An animateur answers a Follow of the place that waits for approval (the place approves
    its followers manually): Accept, or Reject and forget it, as Mastodon does for a locked
    account. False when no Follow of `follower` waits."""
    place = node.urls.actor(PLACE)
    relation = await follows.find_follow(connection, follower, place)
    if relation is None or relation.state != "pending":
        return False
    if not accept:
        await follows.remove_follow(connection, follower, place)
        await send_answer(connection, node, PLACE, follower, relation.follow_activity_id, "Reject")
        return True
    await follows.record_follow(
        connection, follower, place, relation.follow_activity_id, "accepted", answered=True
    )
    ours = await follows.find_follow(connection, place, follower)
    if ours is not None and ours.state == "accepted":
        await announce_neighbour(connection, node, follower, "follows us")
    await send_answer(connection, node, PLACE, follower, relation.follow_activity_id, "Accept")
    return True


async def send_answer(
    connection: DbConnection,
    node: NodeContext,
    actor_name: str,
    follower: str,
    follow_activity_id: str,
    answer: str,
    on_stream: bool = True,
) -> int:
    """Accept or Reject `follower`'s Follow of our actor; the answer's outbox id."""
    return await publish(
        connection,
        node.urls,
        actor_name,
        {
            "type": answer,
            "to": [follower],
            "object": {
                "id": follow_activity_id,
                "type": "Follow",
                "actor": follower,
                "object": node.urls.actor(actor_name),
            },
        },
        to_followers=False,
        recipients=[follower],
        on_stream=on_stream,
    )


def answered_follow(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """(Follow activity id, follower) named by an Accept or Reject, when it says."""
    target = payload.get("object")
    if isinstance(target, str):
        return target, None
    if isinstance(target, dict):
        follow_id = target.get("id") if isinstance(target.get("id"), str) else None
        follower = target.get("actor") if isinstance(target.get("actor"), str) else None
        return follow_id, follower
    return None, None


async def receive_answer(
    connection: DbConnection,
    node: NodeContext,
    activity: ReceivedActivity,
    *,
    accepted: bool,
) -> None:
    """A remote actor answered one of our Follows. Only the followed actor may answer it."""
    follow_id, follower = answered_follow(activity.payload)
    relation = None
    if follow_id is not None:
        relation = await follows.find_follow_by_activity(connection, follow_id)
    if relation is None and follower is not None and node.urls.is_local(follower):
        # Mastodon answers with the Follow's id; some servers embed only actor and object.
        relation = await follows.find_follow(connection, follower, activity.actor_uri)
    if relation is None or relation.followed != activity.actor_uri:
        log.info("answer to an unknown follow ignored", activity=activity.activity_id)
        return
    await follows.set_state(
        connection, relation.follower, relation.followed, "accepted" if accepted else "rejected"
    )
    if not accepted:  # also how a neighbour removes a follower it had accepted
        await follow_ended(connection, relation.followed)
    else:  # fetched later by the backfill worker, outside this transaction
        await backfill_jobs.enqueue(connection, relation.followed)
        if relation.follower == node.urls.actor(PLACE):
            await announce_neighbour(connection, node, relation.followed, "we follow")


async def receive_undo_follow(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> None:
    target = activity.payload.get("object")
    followed = target.get("object") if isinstance(target, dict) else None
    if isinstance(followed, str):
        await follows.remove_follow(connection, activity.actor_uri, followed)
        return
    follow_id = target if isinstance(target, str) else None
    if follow_id is not None:
        relation = await follows.find_follow_by_activity(connection, follow_id)
        if relation is not None and relation.follower == activity.actor_uri:
            await follows.remove_follow(connection, relation.follower, relation.followed)


async def is_follow_activity(connection: DbConnection, activity_id: str | None) -> bool:
    if activity_id is None:
        return False
    return await follows.find_follow_by_activity(connection, activity_id) is not None


async def follow_remote(
    connection: DbConnection, node: NodeContext, actor_name: str, target: str
) -> str:
    """One of our actors follows a remote actor (already fetched): record, then send Follow."""
    follower = node.urls.actor(actor_name)
    activity_id = node.urls.activity(f"follow-{secrets.token_urlsafe(12)}")
    await follows.record_follow(connection, follower, target, activity_id, "pending")
    await publish(
        connection,
        node.urls,
        actor_name,
        {"id": activity_id, "type": "Follow", "object": target, "to": [target]},
        to_followers=False,
        recipients=[target],
    )
    return activity_id


async def unfollow_remote(
    connection: DbConnection, node: NodeContext, actor_name: str, target: str
) -> bool:
    follower = node.urls.actor(actor_name)
    relation = await follows.find_follow(connection, follower, target)
    if relation is None:
        return False
    await follows.remove_follow(connection, follower, target)
    await follow_ended(connection, target)
    await publish(
        connection,
        node.urls,
        actor_name,
        {
            "type": "Undo",
            "to": [target],
            "object": {
                "id": relation.follow_activity_id,
                "type": "Follow",
                "actor": follower,
                "object": target,
            },
        },
        to_followers=False,
        recipients=[target],
    )
    return True


async def follow_ended(connection: DbConnection, followed: str, *, blocked: bool = False) -> None:
    """One of our follows of `followed` ended: what it sent us leaves the agenda and the calls,
    unless another of our actors still follows it (see `events.delete_unfollowed`), and so does
    their history on the live stream. Once nobody here follows it, its directory suggestions go,
    and so does a backfill of it still waiting. `blocked` (the place blocks it): what is its own
    but came through a neighbour goes too, its events and its shared profile.

    Runs in the transaction that ended the follow, so the follow and its imports go together.
    """
    await follows.lock_followed(connection, followed)
    dropped_events = await events.delete_unfollowed(connection, followed, blocked=blocked)
    dropped_calls = await open_calls.delete_unfollowed(connection, followed)
    await live_feed.withdraw(connection, [*dropped_events, *dropped_calls])
    if not await follows.still_followed(connection, followed):
        await directory.forget_neighbour(connection, followed)
        await backfill_jobs.cancel_pending(connection, followed)
        # The profiles it shared leave the people search and the walls with it.
        await live_feed.withdraw(
            connection, await profiles.remove_profiles_shared_by(connection, followed)
        )
    if blocked and await profiles.remove_remote_profile(connection, followed, followed):
        await live_feed.withdraw(connection, [followed])
    if dropped_events or dropped_calls:
        log.info(
            "imports of an unfollowed actor dropped",
            actor=followed,
            events=len(dropped_events),
            calls=len(dropped_calls),
        )


@actor_lifecycle.on_actor_gone
async def actor_gone(connection: DbConnection, actor_uri: str) -> None:
    """`actor_uri` no longer exists: it deleted itself, or its own inbox or id answered 410.

    Every follow with it ends, both ways and in any state; what it sent us goes as when our last
    follow of it ends (`follow_ended`); what was still queued for its inbox is given up. Call it
    before forgetting the actor: its inbox is read from the stored actor.
    """
    await follows.lock_followed(connection, actor_uri)
    await follows.remove_all_of(connection, actor_uri)
    actor = await remote_actors.find_remote_actor(connection, actor_uri)
    if actor is not None:
        given_up = await outbox.give_up_pending_to(
            connection, canonical_host(actor.inbox), actor.inbox, "the recipient is gone"
        )
        if given_up:
            log.info("deliveries to a gone actor given up", actor=actor_uri, count=given_up)
    await follow_ended(connection, actor_uri)


async def inbox_gone(connection: DbConnection, inbox: str) -> list[str]:
    """A delivery to `inbox` answered 410: the actors whose own inbox it is are gone (a shared
    inbox marks nobody, see `remote_actors.mark_gone_by_inbox`). Returns them."""
    gone = await remote_actors.mark_gone_by_inbox(connection, inbox)
    for actor_uri in gone:
        await actor_gone(connection, actor_uri)
    return gone


async def announce_neighbour(
    connection: DbConnection, node: NodeContext, actor_uri: str, relation: str
) -> None:
    """A new neighbour of the place shows on the live stream (with its name when known)."""
    actor = await remote_actors.find_remote_actor(connection, actor_uri)
    await stream.append(
        connection,
        "neighbour",
        {
            "actor": actor_uri,
            "name": actor.display_name if actor else None,
            "relation": relation,
        },
        local=True,
        place=node.urls.actor(PLACE),
    )
