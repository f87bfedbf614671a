"""Whose events and open calls we take: those of actors we follow, and what is meant for us.

After our `Undo` of a Follow, a server may keep delivering (a retry queue, a stale follower
list). Mastodon and Mobilizon drop a Create from an actor nobody on the node follows unless it
names one of their local actors; we do the same, so that an unfollowed neighbour's programme
does not come back. Two exceptions keep what people need: an object addressed to one of our
actors (an organiser writing to a participant) and an event one of our members asked to join.
Changes to what we already hold need none of this: only the object's own actor may change it.
"""

from __future__ import annotations

from typing import Any

from server.database import DbConnection
from server.processing.context import NodeContext
from server.processing.publish import as_list
from server.storage import follows, local_actors, participants
from server.storage.inbox import ReceivedActivity

ADDRESSING = ("to", "cc", "audience")


def addresses_of(activity: dict[str, Any], document: dict[str, Any]) -> set[str]:
    """Every id the activity or its object is addressed to."""
    found: set[str] = set()
    for holder in (activity, document):
        for key in ADDRESSING:
            for address in as_list(holder.get(key)):
                value = address.get("id") if isinstance(address, dict) else address
                if isinstance(value, str):
                    found.add(value)
    return found


async def addressed_to_us(
    connection: DbConnection, node: NodeContext, activity: dict[str, Any], document: dict[str, Any]
) -> bool:
    for address in addresses_of(activity, document):
        name = node.urls.local_actor_name(address)
        if name is not None and await local_actors.find_federated_actor(connection, name):
            return True
    return False


async def takes_new_object(
    connection: DbConnection,
    node: NodeContext,
    activity: ReceivedActivity,
    document: dict[str, Any],
    *,
    owners: list[str],
    event_ap_id: str | None = None,
) -> bool:
    """Whether to store an object we do not hold yet, sent by `activity.actor_uri` on behalf of
    `owners` (its `attributedTo`): one of them is followed (the sender or the owner, as
    `follow_requests.follow_ended` weighs them), it is addressed to one of our actors, or it is
    an event (`event_ap_id`) one of our members has a pending or accepted Join to."""
    if await follows.any_followed(connection, [activity.actor_uri, *owners]):
        return True
    if await addressed_to_us(connection, node, activity.payload, document):
        return True
    return event_ap_id is not None and await participants.has_open_rsvp(connection, event_ap_id)
