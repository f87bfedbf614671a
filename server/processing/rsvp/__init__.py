"""Taking part in events across nodes: Join and Leave, answered by Accept or Reject, at once or
on an animateur's approval.

- `refusals`: why a participant cannot be admitted, and RsvpError;
- `answers`: our Accept or Reject of a Join;
- `admission`: the organiser's side of a Join, one at a time per event, and the seats left;
- `approval`: an animateur answers the Joins that wait, and a change of their event that ends
  the wait (cancelled, deleted, no longer on approval) answers them all;
- `incoming`: Join, Leave and Undo received for our events;
- `joining`: our members join and leave events anywhere, and receive the organisers' answers.
"""

from server.processing.rsvp.approval import answer_participant
from server.processing.rsvp.incoming import on_join, on_leave, receive_undo_join
from server.processing.rsvp.joining import (
    Joined,
    join_event,
    leave_event,
    receive_answer,
)
from server.processing.rsvp.refusals import RsvpError

__all__ = [
    "Joined",
    "RsvpError",
    "answer_participant",
    "join_event",
    "leave_event",
    "on_join",
    "on_leave",
    "receive_answer",
    "receive_undo_join",
]
