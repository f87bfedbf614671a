"""The moderation log's actions in words, for its page: the log keeps stable codes (the API and
the CLI show them as they are), the page says what each did in the reader's language."""

from __future__ import annotations

from server.web.flashes import N_

ACTION_NAMES: dict[str, str] = {
    "domain.suspend": N_("Domain suspended"),
    "domain.limit": N_("Domain limited"),
    "domain.allow": N_("Domain allowed"),
    "domain.remove": N_("Domain policy removed"),
    "block": N_("Actor blocked"),
    "unblock": N_("Actor unblocked"),
    "report.file": N_("Report filed"),
    "report.no_action": N_("Report closed without action"),
    "report.limit": N_("Report resolved: domain limited"),
    "report.suspend": N_("Report resolved: domain suspended"),
    "report.remove_content": N_("Report resolved: content removed"),
    "trust_list.member": N_("Trust list: member added"),
    "trust_list.suspend": N_("Trust list: domain suspended"),
    "trust_list.limit": N_("Trust list: domain limited"),
    "trust_list.remove": N_("Trust list: entry removed"),
    "trust_list.import": N_("Trust list: entries imported"),
    "trust_list.publish": N_("Trust list published"),
    "trust_list.unpublish": N_("Trust list withdrawn"),
    "trust.subscribe": N_("Subscribed to a trust list"),
    "trust.unsubscribe": N_("Unsubscribed from a trust list"),
    "trust.refuse": N_("Trust list change refused"),
    "deliveries.give_up": N_("Deliveries given up"),
}
