"""The organiser's side of a Join: admitting, refusing or keeping it for approval, one at a time.

A Join locks the event's row, so that concurrent Joins are admitted one at a time and never
overbook; the seats left go to the event's followers and participants after each change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from server.database import DbConnection
from server.documents.events import embedded_event
from server.processing.answer_repeats import ANSWER_REPEATS_EVERY, answer_once
from server.processing.event_audience import announce
from server.processing.rsvp.answers import answer_join, embedded_join
from server.processing.rsvp.refusals import RsvpError, needs_approval, refusal
from server.storage import events, participants
from server.storage.events import StoredEvent
from server.storage.local_actors import PLACE
from server.urls import NodeUrls

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Admission:
    """What became of a Join: 'accepted', 'rejected' (with the `refusal`), 'pending' (until an
    animateur answers), 'repeated' for a repeat of an accepted participant's Join answered
    again, 'ignored' for one answered recently (ANSWER_REPEATS_EVERY)."""

    event: StoredEvent
    state: str
    refusal: RsvpError | None = None


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
) -> Admission | None:
    """Admit, refuse or keep for approval `participant`'s Join of one of our events; None
    when the event is not ours.

    A remote `join` (the activity received) is answered here, before the `Update` of the
    seats, which reaches the joiner's server only after that answer. Must run in a
    transaction: the event's row stays locked until it commits.
    """
    event = await events.lock_local(connection, event_ap_id)
    if event is None:
        return None
    embedded = None if join is None else embedded_join(join, event)
    existing = await participants.find_participation(connection, event.id, participant)
    if existing is not None and existing.state == "accepted":
        # A repeated Join (or a redelivery) takes no second seat; it is answered again only
        # when our last answer is old enough to have been lost, and off the stream.
        again = await participants.renew_accepted(
            connection, event.id, participant, ANSWER_REPEATS_EVERY
        )
        if again and embedded is not None:
            await answer_join(connection, urls, "accepted", embedded, on_stream=False)
        return Admission(event, "repeated" if again else "ignored")
    taken = await participants.count_accepted(connection, event.id)
    reason = refusal(event, taken)
    if reason is None and needs_approval(event):
        await participants.record_participation(
            connection, event.id, participant, join_id, "pending", embedded
        )
        log.info("join waits for approval", event_id=event_ap_id, participant=participant)
        return Admission(event, "pending")
    state = "rejected" if reason else "accepted"
    await participants.record_participation(connection, event.id, participant, join_id, state)
    answer = None
    if embedded is not None and state == "rejected":
        refused = embedded
        # A refusal leaves no seat to remember it by: repeats are answered as a blocked
        # actor's are, once per window (answer_repeats), so a burst of Joins costs one Reject.
        await answer_once(
            connection,
            participant,
            event_ap_id,
            "Reject",
            lambda: answer_join(connection, urls, state, refused),
        )
    elif embedded is not None:
        answer = await answer_join(connection, urls, state, embedded)
    if state == "accepted":
        after = None if answer is None else {participant: answer}
        await recount(connection, urls, event, taken + 1, after)
    else:
        log.info("join refused", event_id=event_ap_id, participant=participant, reason=reason)
    return Admission(event, state, reason)


async def withdraw(
    connection: DbConnection, urls: NodeUrls, event_ap_id: str, participant: str
) -> bool:
    event = await events.lock_local(connection, event_ap_id)
    if event is None:
        return False
    removed = await participants.remove_participation(connection, event.id, participant)
    await recount(connection, urls, event, await participants.count_accepted(connection, event.id))
    return removed
