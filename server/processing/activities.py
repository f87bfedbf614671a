"""What a received activity does, once it passed every check and was stored.

Each handler runs inside the worker's transaction, so its effects and the row's `done` mark commit
together; a crash in between means the activity is processed again, and handlers are written to be
idempotent for that reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from federation.hosts import canonical_host
from server.database import DbConnection
from server.processing import (
    actor_lifecycle,
    aggregates,
    blocks,
    follow_requests,
    live_feed,
    objects,
    reactions,
    reports,
    rsvp,
    trust_publishing,
)
from server.processing.context import NodeContext
from server.processing.objects import Imported, NothingImported, Outcome, Removed, Shown
from server.processing.payloads import object_id_of, object_type_of
from server.processing.remote_actors import RemoteActorDirectory
from server.storage import follows, remote_actors
from server.storage.inbox import Effectful, ReceivedActivity

log = structlog.get_logger(__name__)

REGISTERED_AGGREGATES = aggregates.AGGREGATE_MODULES
REGISTERED_REACTIONS = reactions.REACTING_MODULES

# Every handler says what it imported (objects.Outcome); the live stream records only that.
Handler = Callable[[DbConnection, NodeContext, ReceivedActivity], Awaitable[Outcome]]
NOT_SHOWN = NothingImported("nothing people see")


async def on_follow(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    followed = object_id_of(activity.payload)
    if followed is None:
        return NothingImported("a Follow of nothing")
    if await trust_publishing.receive_follow(
        connection, node, activity.actor_uri, followed, activity.activity_id
    ):
        return NOT_SHOWN
    await follow_requests.receive_follow(
        connection, node, activity.actor_uri, followed, activity.activity_id
    )
    return NOT_SHOWN


async def on_accept(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    answered = await rsvp.receive_answer(connection, node, activity, accepted=True)
    if answered is None:
        await follow_requests.receive_answer(connection, node, activity, accepted=True)
        return NOT_SHOWN
    if not answered.recorded:
        return NothingImported("an answer to a join from another server")
    # Only the event shows, never who joined.
    return Imported(answered.event_ap_id, Shown("rsvp", live_feed.rsvp_item(answered.event_ap_id)))


async def on_reject(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    if await rsvp.receive_answer(connection, node, activity, accepted=False) is None:
        await follow_requests.receive_answer(connection, node, activity, accepted=False)
    return NOT_SHOWN


async def on_undo(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    if await rsvp.receive_undo_join(connection, node, activity):
        return NOT_SHOWN
    if await trust_publishing.receive_undo_follow(
        connection, node, activity.actor_uri, activity.payload
    ):
        return NOT_SHOWN
    if object_type_of(activity.payload) == "Follow" or await follow_requests.is_follow_activity(
        connection, object_id_of(activity.payload)
    ):
        await follow_requests.receive_undo_follow(connection, node, activity)
    return NOT_SHOWN


async def on_delete(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    target = object_id_of(activity.payload)
    if target is None:
        return NothingImported("a Delete of nothing")
    removed: list[str] = []
    for handlers in objects.all_handlers():
        outcome = await handlers.deleted(connection, node, activity, target)
        if isinstance(outcome, Removed):
            removed.extend(outcome.object_ids)
    if target == activity.actor_uri:
        # What it sent us goes, with its own notices of removal (follow_requests' reaction).
        await actor_lifecycle.actor_gone(connection, activity.actor_uri)
        await remote_actors.forget_remote_actor(connection, activity.actor_uri)
        if node.actors is not None:
            node.actors.forget_keys_of(activity.actor_uri)
    if not removed:
        return NothingImported("nothing of this actor's under that id")
    return Removed(tuple(dict.fromkeys(removed)))


async def on_create(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    document = activity.payload.get("object")
    handlers = objects.handlers_for(document)
    if handlers is None or not isinstance(document, dict):
        return NothingImported("no aggregate takes this object")
    return await handlers.created(connection, node, activity, document)


async def on_update(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    document = activity.payload.get("object")
    handlers = objects.handlers_for(document)
    if handlers is None or not isinstance(document, dict):
        return NothingImported("no aggregate takes this object")
    return await handlers.updated(connection, node, activity, document)


async def on_join(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    await rsvp.on_join(connection, node, activity)
    return NOT_SHOWN  # the seats show through our own Update of the event


async def on_leave(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    await rsvp.on_leave(connection, node, activity)
    return NOT_SHOWN


async def on_block(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    await blocks.receive_block(connection, node, activity)
    return NOT_SHOWN


async def on_flag(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> Outcome:
    await reports.receive_flag(connection, node, activity)
    return NOT_SHOWN  # a report reaches the moderators' queue, never the wall


HANDLERS: dict[str, Handler] = {
    "Follow": on_follow,
    "Accept": on_accept,
    "Reject": on_reject,
    "Undo": on_undo,
    "Delete": on_delete,
    "Create": on_create,
    "Update": on_update,
    # Only same-origin embedded copies get here (incoming.without_foreign_copy keeps an id).
    "Announce": on_create,
    "Join": on_join,
    "Leave": on_leave,
    "Block": on_block,
    "Flag": on_flag,
}


def effectful() -> Effectful:
    """What `process_activity` may act on: a type with a handler, and for a Create, Update or
    Announce, an embedded object that an aggregate takes (a Note is not). The worker marks the
    rest done as it claims them; when unsure, a type belongs here."""
    carrying = [kind for kind, handler in HANDLERS.items() if handler in (on_create, on_update)]
    return Effectful(
        activity_types=list(HANDLERS),
        object_carrying=carrying,
        object_types=list(objects.OBJECT_HANDLERS),
    )


async def process_activity(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> None:
    """Run the handler for the activity's type; unknown types are kept and ignored."""
    handler = HANDLERS.get(activity.activity_type)
    if node.actors is not None and refused_sender(node.actors, activity.actor_uri):
        # Stored before its domain was suspended (the purge fails what is still pending; this
        # catches one a worker had already claimed).
        log.info("activity of a refused domain dropped", actor=activity.actor_uri)
        return
    if handler is None:
        log.debug("activity kept without effect", type=activity.activity_type)
        return
    # The one border for blocks: a blocked actor's activity stops here (a Follow or Join of it
    # answered with a Reject), before any handler acts on it, and before it is marked alive.
    if await blocks.refused(connection, node, activity):
        return
    # Its signature verified, so its server still has it: a 410 we saw earlier (a server being
    # rebuilt, a place re-created) no longer holds, and what we answer must reach it.
    if await remote_actors.mark_alive(connection, activity.actor_uri):
        log.info("actor marked gone signed again: delivering to it again", actor=activity.actor_uri)
    outcome = await handler(connection, node, activity)
    if await off_the_wall(connection, node, outcome, activity.actor_uri):
        return
    await live_feed.record_received(
        connection,
        outcome,
        place=activity.actor_uri,
        public=live_feed.is_public(activity.payload),
    )


async def off_the_wall(
    connection: DbConnection, node: NodeContext, outcome: Outcome, sender: str
) -> bool:
    """True for what stays off the wall by the `limit` rule (FEDERATION.md, "Moderation:
    domain policies"): its author is on a limited domain, and we follow neither the author nor
    the sender that brought it, or the sender is on a limited domain too."""
    if not isinstance(outcome, Imported) or outcome.shown is None:
        return False
    author = outcome.author or sender
    if not node.limits(host_or_empty(author)):
        return False
    if await follows.still_followed(connection, author):
        return False
    sender_vouches = not node.limits(host_or_empty(sender)) and await follows.still_followed(
        connection, sender
    )
    return not sender_vouches


def host_or_empty(url: str) -> str:
    try:
        return canonical_host(url)
    except ValueError:
        return ""


def refused_sender(directory: RemoteActorDirectory, actor_uri: str) -> bool:
    try:
        return directory.refuses(canonical_host(actor_uri))
    except ValueError:
        return False
