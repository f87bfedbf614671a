"""An animateur answers the Joins that wait for approval (events in 'restricted' join mode)."""

from __future__ import annotations

import structlog

from server.database import DbConnection
from server.processing.rsvp.admission import recount
from server.processing.rsvp.answers import answer_join
from server.processing.rsvp.refusals import RsvpError, refusal
from server.storage import events, participants
from server.urls import NodeUrls

log = structlog.get_logger(__name__)


async def answer_participant(
    connection: DbConnection, urls: NodeUrls, event_ap_id: str, participant: str, accept: bool
) -> str:
    """Accept or refuse `participant`'s waiting Join of our event: 'accepted' or 'rejected'.

    The remote participant's server gets our Accept or Reject of its Join; a member of this
    node sees their RSVP change. Accepting checks the seats again (raises RsvpError when the
    event filled up or was cancelled meanwhile). Must run in a transaction (the event's row
    stays locked, as for a Join).
    """
    event = await events.lock_local(connection, event_ap_id)
    if event is None:
        raise RsvpError("no-such-event", f"no event {event_ap_id} on this node")
    waiting = {p.participant: p for p in await participants.pending_joins(connection, event.id)}
    join = waiting.get(participant)
    if join is None:
        raise RsvpError("not-pending", f"{participant} does not wait for an answer")
    taken = await participants.count_accepted(connection, event.id)
    if accept and (reason := refusal(event, taken)) is not None:
        raise reason
    state = "accepted" if accept else "rejected"
    await participants.answer_pending(connection, event.id, participant, state)
    answer = None
    if join.join_embedded is not None:
        answer = await answer_join(connection, urls, state, join.join_embedded)
    else:  # one of our members, who joined from this node: their RSVP is the same Join
        await participants.set_rsvp_state(connection, join.join_activity_id, state)
    if accept:
        after = None if answer is None else {participant: answer}
        await recount(connection, urls, event, taken + 1, after)
    log.info("pending join answered", event_id=event_ap_id, participant=participant, state=state)
    return state
