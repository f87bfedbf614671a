"""Why a participant cannot take part in one of our events, and the refusals of RSVP processing."""

from __future__ import annotations

from server.processing.errors import ProcessingError
from server.storage.events import StoredEvent


class RsvpError(ProcessingError):
    """The member cannot join or leave that event, or the Join cannot be answered; the code
    and message say why."""


def refusal(event: StoredEvent, seats_taken: int) -> RsvpError | None:
    """Why a new participant cannot be admitted (now or on approval), or None."""
    fields = event.fields
    if fields.status == "CANCELLED":
        return RsvpError("event-cancelled", "the event is cancelled")
    if fields.join_mode not in ("free", "restricted"):
        # Invitations are not offered yet: nobody can join an invite-only event.
        return RsvpError("event-invite-only", "the event is on invitation only")
    if fields.maximum_capacity is not None and seats_taken >= fields.maximum_capacity:
        return RsvpError("event-full", "the event is full")
    return None


def needs_approval(event: StoredEvent) -> bool:
    """A 'restricted' event (Mobilizon's join mode) admits on an animateur's approval."""
    return event.fields.join_mode == "restricted"
