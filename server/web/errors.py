"""Processing's refusals as people read them: each stable code (server/processing/errors.py) has
its message here, translated where it is shown. The API keeps the English message beside the
code; a page never shows that English message."""

from __future__ import annotations

from server.processing.errors import ProcessingError
from server.web.flashes import N_

ERRORS = {
    "event-full": N_("The event is full."),
    "event-cancelled": N_("The event is cancelled."),
    "event-invite-only": N_("This event is on invitation only."),
    "no-such-event": N_("This event does not exist on this node."),
    "not-pending": N_("Nobody waits for an answer under this name; the list shows who does."),
    "not-participating": N_("You do not take part in this event."),
    "profile-not-shared": N_(
        "Your profile is not shared with the network: share it on your profile page first."
    ),
    "event-unreadable": N_("The event could not be read from its server."),
    "unreachable": N_("The other server does not answer; try again later."),
    "not-a-handle": N_("Write a handle like place@tiers-lieu.example, or the address of its page."),
    "no-answer": N_("No place answers at this handle or address."),
    "own-node": N_("This place is on this node: follow places of other nodes."),
    "not-following": N_("The place does not follow this neighbour."),
    "no-such-actor": N_("Nobody has this name on this node."),
    "name-reserved": N_("This name is reserved; choose another."),
    "name-taken": N_("This name is already taken; choose another."),
    "last-administrator": N_("The place must keep at least one administrator."),
    "call-field-required": N_("This field cannot be removed."),
    "deadline-past": N_("An open call needs a deadline in the future."),
    "no-such-member": N_("No member has this name."),
    # A followed trust list's last reading (server.processing.trust_subscriptions).
    "trust-list-unreachable": N_("The list could not be fetched."),
    "trust-list-moved": N_("The list answered from another address."),
    "trust-list-invalid": N_("The document is not a trust list."),
    "trust-list-foreign-publisher": N_("The list's publisher is not on the list's server."),
    "trust-list-bad-proof": N_("The list's signature does not verify."),
    "trust-list-unproven": N_("The list is not signed."),
    "trust-list-bad-domain": N_("The list names something that is not a domain."),
    "trust-list-publisher-unavailable": N_("The list's publisher could not be read."),
    "trust-list-not-https": N_("A trust list's address starts with https://."),
    "trust-list-own": N_("This is this node's own list."),
    "trust-list-followed": N_("This list is already followed."),
    "trust-list-not-followed": N_("This list is not followed."),
}
UNKNOWN = N_("This cannot be done.")
# The domain-block CSV's refusals (schemas.domain_blocks.CsvError), formatted with `line`.
CSV_ERRORS = {
    "csv-too-large": N_("The file is larger than %(size)s KiB: split it into smaller files."),
    "csv-empty": N_("The file is empty."),
    "csv-unreadable": N_("Line %(line)s cannot be read as CSV."),
    "csv-no-domain-column": N_(
        "Line %(line)s: no #domain column (Mastodon's header starts with #domain)."
    ),
    "csv-too-many-rows": N_("The file has too many rows."),
    "csv-no-domain": N_("Line %(line)s names no domain."),
    "csv-unknown-severity": N_(
        "Line %(line)s: unknown severity (Mastodon's are suspend, silence and noop)."
    ),
    "csv-not-utf8": N_("The file must be UTF-8 text."),
}


def message_of(error: ProcessingError) -> str:
    """The message id of a refusal, for `_()` where the page shows it."""
    return ERRORS.get(error.code, UNKNOWN)
