"""The joiner's side: one of our members joins or leaves an event, here or on another node, and
the organiser's Accept or Reject records the state of their RSVP."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from federation.hosts import origin_of
from schemas.errors import SchemaError
from schemas.events import Event
from schemas.parse import parse_object
from server.database import DbConnection
from server.processing.context import NodeContext
from server.processing.publish import publish
from server.processing.remote_actors import ActorUnavailable
from server.processing.rsvp.admission import admit, withdraw
from server.processing.rsvp.refusals import RsvpError
from server.storage import events, local_actors, participants
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE

log = structlog.get_logger(__name__)


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
        raise RsvpError("unreachable", "this process cannot fetch remote events")
    try:
        parsed = parse_object(await node.actors.fetch_document(event_ap_id))
    except (ActorUnavailable, SchemaError) as error:
        raise RsvpError(
            "event-unreadable", f"cannot read the event {event_ap_id}: {error}"
        ) from None
    if not isinstance(parsed, Event) or not parsed.attributed_to:
        raise RsvpError("event-unreadable", f"{event_ap_id} is not an event with an organiser")
    organiser = parsed.attributed_to[0]
    if origin_of(organiser) != origin_of(event_ap_id):
        raise RsvpError("event-unreadable", "the event names an organiser on another server")
    return organiser


@dataclass(frozen=True)
class Joined:
    """The state of a member's RSVP: 'pending' until answered, 'accepted' or 'rejected' (with
    the `refusal` when this node's own event refused it)."""

    state: str
    refusal: RsvpError | None = None


async def join_event(
    pool: asyncpg.Pool, node: NodeContext, actor_name: str, event_ap_id: str
) -> Joined:
    """One of our members joins an event, here or on another node."""
    participant = node.urls.actor(actor_name)
    join_id = node.urls.activity(f"join-{secrets.token_urlsafe(12)}")
    if node.urls.is_local(event_ap_id):
        async with pool.acquire() as connection, connection.transaction():
            outcome = await admit(connection, node.urls, event_ap_id, participant, join_id)
            if outcome is None:
                raise RsvpError("no-such-event", f"no event {event_ap_id} on this node")
            state = outcome.state if outcome.state in ("rejected", "pending") else "accepted"
            await participants.record_rsvp(
                connection, actor_name, event_ap_id, node.urls.actor(PLACE), join_id, state
            )
        return Joined(state, outcome.refusal)
    async with pool.acquire() as connection:
        actor = await local_actors.find_local_actor(connection, actor_name)
    if actor is None or not actor.federated:
        raise RsvpError(
            "profile-not-shared",
            "your profile is not shared with the network; share it to join events of other nodes",
        )
    organiser = await organiser_of(pool, node, event_ap_id)
    if node.actors is None:
        raise RsvpError("unreachable", "this process cannot reach remote actors")
    try:
        await node.actors.actor(organiser)
    except ActorUnavailable as error:
        raise RsvpError("unreachable", str(error)) from None
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
    return Joined("pending")


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
                raise RsvpError("not-participating", "you do not take part in this event")
            return
        if rsvp is None:
            raise RsvpError("not-participating", "you do not take part in this event")
        await participants.remove_rsvp(connection, actor_name, event_ap_id)
        await publish(
            connection,
            node.urls,
            actor_name,
            {"type": "Leave", "object": event_ap_id, "to": [rsvp.organiser]},
            to_followers=False,
            recipients=[rsvp.organiser],
        )
