"""What the pages' forms share: messages marked for translation, the names of the roles."""

from __future__ import annotations

from server.web.flashes import N_

ROLE_NAMES = {
    "administrator": N_("administrator"),
    "animateur": N_("animateur"),
    "member": N_("member"),
}

__all__ = ["KIND_NAMES", "N_", "ROLE_NAMES", "SERVICE_NAMES"]

# The place's services and kinds of space, as people read them (the values are the vocabulary's).
SERVICE_NAMES = {
    "fibre": N_("Fibre internet"),
    "wifi": N_("Wi-Fi"),
    "desks": N_("Desks"),
    "private-office": N_("Private office"),
    "meeting-room": N_("Meeting room"),
    "visio-room": N_("Video-conference room"),
    "phone-booth": N_("Phone booth"),
    "printer": N_("Printer"),
    "3d-printer": N_("3D printer"),
    "laser-cutter": N_("Laser cutter"),
    "workshop": N_("Workshop"),
    "kitchen": N_("Kitchen"),
    "food": N_("Food"),
    "childcare-nearby": N_("Childcare nearby"),
    "parking": N_("Parking"),
    "bike-parking": N_("Bike parking"),
    "public-transport": N_("Public transport"),
    "accommodation-nearby": N_("Accommodation nearby"),
}
KIND_NAMES = {
    "coworking": N_("Coworking"),
    "telecentre": N_("Telecentre"),
    "fablab": N_("Fablab"),
    "makerspace": N_("Makerspace"),
    "epn": N_("Public digital space (EPN)"),
    "living-lab": N_("Living lab"),
    "cafe-atelier": N_("Café-workshop"),
    "tiers-lieu": N_("Tiers-lieu"),
    "incubator": N_("Incubator"),
    "france-services": N_("France Services"),
}
