"""The words of the wall, from the gettext catalogues, handed to its script as JSON data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from server.web.forms import N_

if TYPE_CHECKING:
    from babel.support import Translations

TEXTS: dict[str, Any] = {
    "heading": N_("Life of the network"),
    "connecting": N_("connecting…"),
    "live": N_("live"),
    "offline": N_("reconnecting…"),
    "emptyTitle": N_("Waiting for news from the network"),
    "emptyHint": N_(
        "Events, open calls and profiles shared by this place and its neighbours will show "
        "here as soon as they are published."
    ),
    "here": N_("Here"),
    "network": N_("Network"),
    "event": {
        "created": N_("New event"),
        "updated": N_("Event updated"),
        "cancelled": N_("Event cancelled"),
        "shared": N_("Event shared"),
    },
    "call": {
        "created": N_("New open call"),
        "updated": N_("Open call updated"),
        "shared": N_("Open call shared"),
    },
    "callKinds": {
        "projects": N_("Call for projects"),
        "skills": N_("Call for skills"),
        "partners": N_("Call for partners"),
        "volunteers": N_("Call for volunteers"),
    },
    "until": N_("until"),
    "profile": N_("Shared profile"),
    "rsvp": N_("New RSVP"),
    "anEvent": N_("to an event"),
    "neighbour": N_("New neighbour"),
    "relations": {"follows us": N_("follows us"), "we follow": N_("we follow them")},
    "full": N_("Full"),
}


def translated(texts: Any, translations: Translations) -> Any:
    if isinstance(texts, dict):
        return {key: translated(value, translations) for key, value in texts.items()}
    return translations.gettext(texts)


def wall_texts(translations: Translations) -> dict[str, Any]:
    """Every word of the wall in one language; counts as templates with `{n}` for the script."""

    def counted(singular: str, plural: str, count: int) -> str:
        return translations.ngettext(singular, plural, count).replace("%(num)d", "{n}")

    found: dict[str, Any] = translated(TEXTS, translations)
    found["seatOne"] = counted("%(num)d seat left", "%(num)d seats left", 1)
    found["seatsMany"] = counted("%(num)d seat left", "%(num)d seats left", 2)
    found["goingOne"] = counted("%(num)d participant", "%(num)d participants", 1)
    found["goingMany"] = counted("%(num)d participant", "%(num)d participants", 2)
    return found
