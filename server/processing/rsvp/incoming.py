"""Join, Leave and Undo of a Join received for our events."""

from __future__ import annotations

import structlog

from server.database import DbConnection
from server.processing.context import NodeContext
from server.processing.payloads import object_id_of
from server.processing.rsvp.admission import admit, withdraw
from server.storage import participants
from server.storage.inbox import ReceivedActivity

log = structlog.get_logger(__name__)


async def on_join(connection: DbConnection, node: NodeContext, activity: ReceivedActivity) -> None:
    event_ap_id = object_id_of(activity.payload)
    if event_ap_id is None or not node.urls.is_local(event_ap_id):
        return
    join = {**activity.payload, "id": activity.activity_id, "actor": activity.actor_uri}
    outcome = await admit(
        connection, node.urls, event_ap_id, activity.actor_uri, activity.activity_id, join
    )
    if outcome is None:
        log.info("join of an unknown event ignored", event_id=event_ap_id)


async def on_leave(connection: DbConnection, node: NodeContext, activity: ReceivedActivity) -> None:
    event_ap_id = object_id_of(activity.payload)
    if event_ap_id is not None and node.urls.is_local(event_ap_id):
        await withdraw(connection, node.urls, event_ap_id, activity.actor_uri)


async def receive_undo_join(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> bool:
    """`Undo` of a Join (Mastodon-style servers, Mobilizon) is a Leave, and only the actor who
    joined may send it. The Join is embedded (its `object` names the event) or named by the id
    we recorded. False when the Undo names no Join: a Follow's, then."""
    target = activity.payload.get("object")
    join = target if isinstance(target, dict) and target.get("type") == "Join" else None
    if isinstance(target, dict) and "type" in target and join is None:
        return False  # an embedded Follow, or anything else
    joiner, event_ap_id = activity.actor_uri, None
    if join is not None:
        named = join.get("actor")
        named = named.get("id") if isinstance(named, dict) else named
        joiner = named if isinstance(named, str) else activity.actor_uri
        event_ap_id = object_id_of(join)
    if event_ap_id is None:  # by id, or an embedded Join that does not name its event
        join_id = object_id_of(activity.payload)
        recorded = None if join_id is None else await participants.find_join(connection, join_id)
        if recorded is None:
            return join is not None
        joiner, event_ap_id = recorded.participant, recorded.event_ap_id
    if joiner != activity.actor_uri:
        log.info("undo of another actor's join ignored", activity=activity.activity_id)
    elif node.urls.is_local(event_ap_id):
        await withdraw(connection, node.urls, event_ap_id, joiner)
    return True
