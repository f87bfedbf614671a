"""The Joins that wait for approval (events in 'restricted' join mode): an animateur answers
them one by one, and a change of the event that ends the wait answers them all."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from server.database import DbConnection
from server.processing.rsvp.admission import recount
from server.processing.rsvp.answers import answer_join
from server.processing.rsvp.refusals import RsvpError, needs_approval, refusal
from server.storage import events, participants
from server.storage.events import StoredEvent
from server.storage.participants import PendingJoin
from server.urls import NodeUrls

log = structlog.get_logger(__name__)


async def answer_waiting(
    connection: DbConnection, urls: NodeUrls, event: StoredEvent, join: PendingJoin, state: str
) -> int | None:
    """Answer one waiting Join 'accepted' or 'rejected': the remote participant's server gets
    our Accept or Reject of its Join (its outbox id is returned), a member of this node sees
    their RSVP change. The caller records the count."""
    await participants.answer_pending(connection, event.id, join.participant, state)
    log.info(
        "pending join answered", event_id=event.ap_id, participant=join.participant, state=state
    )
    if join.join_embedded is not None:
        return await answer_join(connection, urls, state, join.join_embedded)
    # One of our members, who joined from this node: their RSVP is the same Join.
    await participants.set_rsvp_state(connection, join.join_activity_id, state)
    return None


async def answer_participant(
    connection: DbConnection, urls: NodeUrls, event_ap_id: str, participant: str, accept: bool
) -> str:
    """Accept or refuse `participant`'s waiting Join of our event: 'accepted' or 'rejected'.

    Accepting checks the seats again (raises RsvpError when the event filled up or was
    cancelled meanwhile). Must run in a transaction (the event's row stays locked, as for a
    Join).
    """
    event = await events.lock_local(connection, event_ap_id)
    if event is None:
        raise RsvpError("no-such-event", f"no event {event_ap_id} on this node")
    join = await participants.find_pending(connection, event.id, participant)
    if join is None:
        raise RsvpError("not-pending", f"{participant} does not wait for an answer")
    taken = await participants.count_accepted(connection, event.id)
    if accept and (reason := refusal(event, taken)) is not None:
        raise reason
    state = "accepted" if accept else "rejected"
    answer = await answer_waiting(connection, urls, event, join, state)
    if accept:
        after = None if answer is None else {participant: answer}
        await recount(connection, urls, event, taken + 1, after)
    return state


@dataclass(frozen=True)
class Settled:
    """What became of the waiting Joins after a change of their event: the event with its new
    participant count, and our Accepts to remote participants (participant: outbox id), which
    must reach their servers before the event's Update."""

    event: StoredEvent
    accepts: dict[str, int]


async def settle_waiting(
    connection: DbConnection, urls: NodeUrls, event: StoredEvent, *, deleted: bool = False
) -> Settled:
    """Answer the Joins that wait, when `event` (as just changed, its row locked by the
    caller's transaction) no longer waits for approval: each is answered, in the order they
    came, as a Join arriving now would be. So a cancelled event refuses them all, and one
    switched to open joining accepts them while seats remain and refuses the rest. A `deleted`
    event (not yet deleted: its Joins still recorded) refuses them all. An event still on
    approval and not cancelled keeps them waiting. The caller sends the event's Update (or
    Delete), after the Accepts."""
    if not deleted and needs_approval(event) and event.fields.status != "CANCELLED":
        return Settled(event, {})
    waiting = await participants.pending_joins(connection, event.id)
    if not waiting:
        return Settled(event, {})
    taken = await participants.count_accepted(connection, event.id)
    accepts: dict[str, int] = {}
    for join in waiting:
        state = "rejected" if deleted or refusal(event, taken) else "accepted"
        answer = await answer_waiting(connection, urls, event, join, state)
        if state == "accepted":
            taken += 1
            if answer is not None:
                accepts[join.participant] = answer
    counted = await events.set_participant_count(connection, event.id, taken)
    return Settled(event if counted is None else counted, accepts)
