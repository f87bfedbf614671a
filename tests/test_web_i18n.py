"""The pages' languages: every message of the templates is translated into French, the catalogues
compile from the committed .po files, and dates read as people of each language say them."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.messages.pofile import read_po

from server.web import i18n
from server.web.catalogues import catalogue_path, extracted


def test_the_french_catalogue_translates_every_message_of_the_pages() -> None:
    with catalogue_path("fr").open("rb") as source:
        french = read_po(source, locale="fr")
    missing = []
    for message in extracted():
        if not message.id:
            continue
        found = french.get(message.id, message.context)
        strings = () if found is None else found.string
        if isinstance(strings, str):
            strings = (strings,)
        if found is None or not all(strings) or found.fuzzy:
            missing.append(message.id)
    assert missing == []


def test_the_english_catalogue_knows_every_message() -> None:
    with catalogue_path("en").open("rb") as source:
        english = read_po(source, locale="en")
    assert [m.id for m in extracted() if m.id and english.get(m.id, m.context) is None] == []


def test_the_catalogues_are_compiled_at_import() -> None:
    assert i18n.TRANSLATIONS["fr"].gettext("Network agenda") == "Agenda du réseau"
    assert i18n.TRANSLATIONS["en"].gettext("Network agenda") == "Network agenda"


def test_a_moment_is_told_on_the_place_clock() -> None:
    moment = datetime(datetime.now(UTC).year, 12, 8, 17, 30, tzinfo=UTC)
    french = i18n.format_when(moment, "Europe/Paris", "fr")
    english = i18n.format_when(moment, "Europe/Paris", "en")
    assert french.endswith("8 décembre, 18 h 30")
    assert english.endswith("8 December, 6:30\u202fPM") or english.endswith("8 December, 6:30 PM")
    assert i18n.format_when(moment, "Not/AZone", "fr").endswith("8 décembre, 17 h 30")
    older = datetime(2020, 12, 8, 17, 30, tzinfo=UTC)
    assert i18n.format_when(older, "Europe/Paris", "fr") == "mardi 8 décembre 2020, 18 h 30"
