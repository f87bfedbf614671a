"""What the pages' forms share: messages marked for translation, the names of the roles."""

from __future__ import annotations

from server.web.flashes import N_

ROLE_NAMES = {
    "administrator": N_("administrator"),
    "animateur": N_("animateur"),
    "member": N_("member"),
}

__all__ = ["N_", "ROLE_NAMES"]
