"""Taking part in events across nodes: Join and Leave, answered by Accept or Reject.

On the organiser's side a Join locks the event's row, so that concurrent Joins are admitted one
at a time and never overbook. On the joiner's side the organiser's answer records the state of
the member's RSVP.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from federation.hosts import origin_of
from schemas.errors import SchemaError
from schemas.events import Event
from schemas.parse import parse_object
from server.database import DbConnection
from server.documents.events import embedded_event
from server.processing.context import NodeContext
from server.processing.events import announce
from server.processing.follow_requests import ANSWER_REPEATS_EVERY
from server.processing.payloads import object_id_of
from server.processing.publish import as_list, publish
from server.processing.remote_actors import ActorUnavailable
from server.storage import events, local_actors, participants
from server.storage.events import StoredEvent
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE
from server.urls import NodeUrls

log = structlog.get_logger(__name__)


class RsvpError(Exception):
    """The member cannot join or leave that event; the message says why."""


# ---------------------------------------------------------------------------------------------
# Organiser's side


def refusal(event: StoredEvent, seats_taken: int) -> str | None:
    """Why a new participant cannot be admitted, or None."""
    fields = event.fields
    if fields.status == "CANCELLED":
        return "the event is cancelled"
    if fields.join_mode != "free":
        # Restricted and invite-only events need an organiser's approval we do not offer yet.
        return f"the event's join mode is {fields.join_mode}"
    if fields.maximum_capacity is not None and seats_taken >= fields.maximum_capacity:
        return "the event is full"
    return None


async def recount(
    connection: DbConnection,
    urls: NodeUrls,
    event: StoredEvent,
    count: int,
    after: Mapping[str, int] | None = None,
) -> None:
    """Record the event's new count; when it changed, send an `Update` of the event to its
    followers and remote participants, so that their copies show the seats left. A Join or
    Leave that changes nothing (a repeated Join, a refused one) sends nothing. `after`: a
    participant whose server must get another activity (the Accept of its Join) first."""
    changed = await events.set_participant_count(connection, event.id, count)
    if changed is not None:
        document = embedded_event(changed, urls.followers(PLACE))
        await announce(connection, urls, "Update", changed, document, seats_only=True, after=after)


async def admit(
    connection: DbConnection,
    urls: NodeUrls,
    event_ap_id: str,
    participant: str,
    join_id: str,
    join: dict[str, Any] | None = None,
) -> tuple[StoredEvent, str] | None:
    """Admit or refuse `participant` to one of our events: (event, 'accepted' | 'rejected'),
    or (event, 'repeated') for a repeated Join of a participant accepted already, whose Accept
    goes again only when the last one is old (ANSWER_REPEATS_EVERY), and (event, 'ignored')
    for a repeat answered recently.

    A remote `join` (the activity received) is answered here, before the `Update` of the
    seats, which reaches the joiner's server only after that answer. Must run in a
    transaction: the event's row stays locked until it commits.
    """
    event = await events.lock_local(connection, event_ap_id)
    if event is None:
        return None
    existing = await participants.find_participation(connection, event.id, participant)
    if existing is not None and existing.state == "accepted":
        # A repeated Join (or a redelivery) takes no second seat; it is answered again only
        # when our last answer is old enough to have been lost, and off the stream.
        again = await participants.renew_accepted(
            connection, event.id, participant, ANSWER_REPEATS_EVERY
        )
        if again and join is not None:
            await answer_join(connection, urls, event, "accepted", join, on_stream=False)
        return event, "repeated" if again else "ignored"
    taken = await participants.count_accepted(connection, event.id)
    reason = refusal(event, taken)
    state = "rejected" if reason else "accepted"
    await participants.record_participation(connection, event.id, participant, join_id, state)
    answer = None if join is None else await answer_join(connection, urls, event, state, join)
    if state == "accepted":
        after = None if answer is None else {participant: answer}
        await recount(connection, urls, event, taken + 1, after)
    else:
        log.info("join refused", event_id=event_ap_id, participant=participant, reason=reason)
    return event, state


async def withdraw(
    connection: DbConnection, urls: NodeUrls, event_ap_id: str, participant: str
) -> bool:
    event = await events.lock_local(connection, event_ap_id)
    if event is None:
        return False
    removed = await participants.remove_participation(connection, event.id, participant)
    await recount(connection, urls, event, await participants.count_accepted(connection, event.id))
    return removed


# Addressing copied from a received Join into our answer; more would only be echoed back.
MAX_ECHOED_AUDIENCE = 50


def embedded_join(join: dict[str, Any], event: StoredEvent) -> dict[str, Any]:
    """The Join as our Accept or Reject embeds it: its id, actor and object, and its audience
    as received (`to`, `cc`, `audience`), since activitypub-express checks the embedded
    object's audience; a Join that named none was addressed to the organiser, our place."""
    embedded: dict[str, Any] = {
        "id": join["id"],
        "type": "Join",
        "actor": join["actor"],
        "object": event.ap_id,
    }
    for key in ("to", "cc", "audience"):
        ids = [ref_id(value) for value in as_list(join.get(key))]
        named = [value for value in ids if value is not None][:MAX_ECHOED_AUDIENCE]
        if named:
            embedded[key] = named
    embedded.setdefault("to", [event.attributed_to])
    return embedded


def ref_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


async def answer_join(
    connection: DbConnection,
    urls: NodeUrls,
    event: StoredEvent,
    state: str,
    join: dict[str, Any],
    *,
    on_stream: bool = True,
) -> int:
    """Accept or Reject the received `join`; the outbox id of the answer."""
    return await publish(
        connection,
        urls,
        PLACE,
        {
            "type": "Accept" if state == "accepted" else "Reject",
            "to": [join["actor"]],
            "object": embedded_join(join, event),
        },
        to_followers=False,
        recipients=[join["actor"]],
        on_stream=on_stream,
    )


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


# ---------------------------------------------------------------------------------------------
# Joiner's side


def answered_join(payload: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(Join id, joiner, event) an Accept or Reject names, as far as it says."""
    target = payload.get("object")
    if isinstance(target, str):
        return target, None, None
    if not isinstance(target, dict):
        return None, None, None
    found = [target.get(key) for key in ("id", "actor", "object")]
    if isinstance(found[2], dict):
        found[2] = found[2].get("id")
    join_id, joiner, event = (value if isinstance(value, str) else None for value in found)
    return join_id, joiner, event


@dataclass(frozen=True)
class Answered:
    """An Accept or Reject answered one of our members' Joins; `recorded` unless another
    server than the event's sent it."""

    event_ap_id: str
    recorded: bool


async def receive_answer(
    connection: DbConnection,
    node: NodeContext,
    activity: ReceivedActivity,
    *,
    accepted: bool,
) -> Answered | None:
    """Record the organiser's answer to one of our members' Joins; None if it answers no Join
    of ours (a Follow's answer, then)."""
    join_id, joiner, event_ap_id = answered_join(activity.payload)
    rsvp = None if join_id is None else await participants.find_rsvp_by_join(connection, join_id)
    if rsvp is None and joiner is not None and event_ap_id is not None:
        name = node.urls.local_actor_name(joiner)
        if name is not None:
            rsvp = await participants.find_rsvp(connection, name, event_ap_id)
    if rsvp is None:
        return None
    # The event's own server answers; any other actor's say-so is ignored.
    if origin_of(activity.actor_uri) != origin_of(rsvp.event_ap_id):
        log.info("answer to a join from another server ignored", activity=activity.activity_id)
        return Answered(rsvp.event_ap_id, recorded=False)
    await participants.set_rsvp_state(
        connection, rsvp.join_activity_id, "accepted" if accepted else "rejected"
    )
    return Answered(rsvp.event_ap_id, recorded=True)


async def organiser_of(pool: asyncpg.Pool, node: NodeContext, event_ap_id: str) -> str:
    """Who to send the Join to: the event's attributedTo, from our copy or from its server."""
    async with pool.acquire() as connection:
        known = await events.find_by_ap_id(connection, event_ap_id)
    if known is not None:
        return known.attributed_to
    if node.actors is None:
        raise RsvpError("this process cannot fetch remote events")
    try:
        parsed = parse_object(await node.actors.fetch_document(event_ap_id))
    except (ActorUnavailable, SchemaError) as error:
        raise RsvpError(f"cannot read the event {event_ap_id}: {error}") from None
    if not isinstance(parsed, Event) or not parsed.attributed_to:
        raise RsvpError(f"{event_ap_id} is not an event with an organiser")
    organiser = parsed.attributed_to[0]
    if origin_of(organiser) != origin_of(event_ap_id):
        raise RsvpError("the event names an organiser on another server")
    return organiser


async def join_event(
    pool: asyncpg.Pool, node: NodeContext, actor_name: str, event_ap_id: str
) -> str:
    """One of our members joins an event; the state of their RSVP (pending until answered)."""
    participant = node.urls.actor(actor_name)
    join_id = node.urls.activity(f"join-{secrets.token_urlsafe(12)}")
    if node.urls.is_local(event_ap_id):
        async with pool.acquire() as connection, connection.transaction():
            outcome = await admit(connection, node.urls, event_ap_id, participant, join_id)
            if outcome is None:
                raise RsvpError(f"no event {event_ap_id} on this node")
            state = "rejected" if outcome[1] == "rejected" else "accepted"
            await participants.record_rsvp(
                connection, actor_name, event_ap_id, node.urls.actor(PLACE), join_id, state
            )
        return state
    async with pool.acquire() as connection:
        actor = await local_actors.find_local_actor(connection, actor_name)
    if actor is None or not actor.federated:
        raise RsvpError(
            "your profile is not shared with the network; share it to join events of other nodes"
        )
    organiser = await organiser_of(pool, node, event_ap_id)
    if node.actors is None:
        raise RsvpError("this process cannot reach remote actors")
    try:
        await node.actors.actor(organiser)
    except ActorUnavailable as error:
        raise RsvpError(str(error)) from None
    async with pool.acquire() as connection, connection.transaction():
        await participants.record_rsvp(
            connection, actor_name, event_ap_id, organiser, join_id, "pending"
        )
        await publish(
            connection,
            node.urls,
            actor_name,
            {"id": join_id, "type": "Join", "object": event_ap_id, "to": [organiser]},
            to_followers=False,
            recipients=[organiser],
        )
    return "pending"


async def leave_event(
    pool: asyncpg.Pool, node: NodeContext, actor_name: str, event_ap_id: str
) -> None:
    participant = node.urls.actor(actor_name)
    async with pool.acquire() as connection, connection.transaction():
        rsvp = await participants.find_rsvp(connection, actor_name, event_ap_id)
        if node.urls.is_local(event_ap_id):
            left = await withdraw(connection, node.urls, event_ap_id, participant)
            await participants.remove_rsvp(connection, actor_name, event_ap_id)
            if not left:
                raise RsvpError("you do not take part in this event")
            return
        if rsvp is None:
            raise RsvpError("you do not take part in this event")
        await participants.remove_rsvp(connection, actor_name, event_ap_id)
        await publish(
            connection,
            node.urls,
            actor_name,
            {"type": "Leave", "object": event_ap_id, "to": [rsvp.organiser]},
            to_followers=False,
            recipients=[rsvp.organiser],
        )
