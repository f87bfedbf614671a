"""Messages a page shows once after a redirection, named by key in a short-lived cookie (so the
cookie never carries text a third party could choose)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


FLASHES = {
    "signed-in": N_("You are signed in."),
    "signed-out": N_("You are signed out."),
    "password-changed": N_("Your password is changed; your other sessions are signed out."),
    "others-signed-out": N_("Your other sessions are signed out."),
    "welcome": N_("Welcome! Your account is ready and you are signed in."),
    "event-published": N_("The event is published; the neighbours receive it."),
    "event-changed": N_("The event is changed; the neighbours receive the change."),
    "event-cancelled": N_("The event is cancelled; the neighbours are told."),
    "event-deleted": N_("The event is deleted; the neighbours are told."),
    "follow-asked": N_("Asked; the place will answer (its state shows below)."),
    "unfollowed": N_("You no longer follow this place."),
    "follower-accepted": N_("Accepted: this place now follows ours and receives what we publish."),
    "follower-refused": N_("Refused: this place is told, and does not follow ours."),
    "participant-accepted": N_("Accepted: the participant is told and has a seat."),
    "participant-refused": N_("Refused: the participant is told."),
    "join-pending": N_("You asked to take part; the place will answer your request."),
    "place-saved": N_("The profile is saved; the neighbours receive it."),
    "joined": N_("You asked to take part; the event's page shows your place once accepted."),
    "left": N_("You no longer take part in this event."),
    "profile-saved": N_("Your profile is saved."),
    "role-changed": N_("The role is changed."),
    "deliveries-retried": N_("The deliveries to this server are sent again now."),
    "member-removed": N_("The member is removed; a shared profile was withdrawn from the network."),
    "last-administrator": N_("The place must keep at least one administrator."),
    "call-published": N_("The open call is published; the neighbours receive it."),
    "call-changed": N_("The open call is changed; the neighbours receive the change."),
    "call-filled": N_("The open call is closed as filled."),
    "call-closed": N_("The open call is closed."),
    "visibility-private": N_(
        "Your profile is now yours only; if it was shared, the network is told to delete it."
    ),
    "visibility-members": N_(
        "Only the members of this place see your profile; the network is told to delete it."
    ),
    "visibility-network": N_("Your profile is now shared with the network."),
    "report-filed": N_("Your report is sent to the place's moderators."),
    "report-resolved": N_("The report is resolved; the moderation log keeps the decision."),
    "blocked": N_("Blocked: follows with this actor end, and it can no longer follow."),
    "unblocked": N_("Unblocked."),
    "domain-policy-set": N_("The decision is applied and written to the moderation log."),
    "domain-policy-removed": N_("The decision is removed; what a suspension deleted stays gone."),
    "trust-subscribed": N_("The list is followed; what it says is applied or proposed."),
    "trust-unsubscribed": N_("The list is no longer followed; what came only from it is lifted."),
    "trust-accepted": N_("The change is applied."),
    "trust-refused": N_("The change is refused; it will not be proposed again."),
    "trust-published": N_("The list's settings are saved; subscribers receive the change."),
    "trust-entry-saved": N_("The list is changed; subscribers receive the change."),
    "trust-entry-removed": N_("The domain is removed from the list."),
}
