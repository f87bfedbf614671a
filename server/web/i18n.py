"""Languages of pages: gettext catalogues (Babel); dates, times, numbers in the place's zone.

The catalogues are committed as `.po` files under server/locale and compiled in memory the first
time a page in their language is rendered, so a fresh clone (or an installed wheel) needs no build
step and no `.mo` file. Babel too is imported on first use: a node that answers only the API and
the inboxes never loads it (about 1.5 MB, see README "Benchmarks").
Message ids are English; French is the default language and its catalogue must translate them all
(tests/test_web_i18n.py checks it against the templates).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

if TYPE_CHECKING:
    from babel.support import Translations

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANGUAGE_COOKIE = "lang"
# Babel patterns: "mardi 8 décembre, 18 h 30" / "Tuesday 8 December, 6:30 PM".
WHEN = {"fr": "EEEE d MMMM, H 'h' mm", "en": "EEEE d MMMM, h:mm a"}
WHEN_WITH_YEAR = {"fr": "EEEE d MMMM y, H 'h' mm", "en": "EEEE d MMMM y, h:mm a"}
DAY = {"fr": "EEEE d MMMM y", "en": "EEEE d MMMM y"}


def compiled(language: str) -> Translations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    po = resources.files("server") / "locale" / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


class Catalogues(Mapping[str, "Translations"]):
    """The compiled catalogue of each language, compiled when first asked for."""

    def __init__(self) -> None:
        self._compiled: dict[str, Translations] = {}

    def __getitem__(self, language: str) -> Translations:
        if language not in LANGUAGES:
            raise KeyError(language)
        if language not in self._compiled:
            self._compiled[language] = compiled(language)
        return self._compiled[language]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


TRANSLATIONS = Catalogues()


def asked_language(request: web.Request) -> str | None:
    """The language the address asks for (`?lang=en`), which the page then remembers."""
    asked = request.query.get("lang", "").lower()[:2]
    return asked if asked in LANGUAGES else None


def language_of(request: web.Request) -> str:
    """`?lang=`, else the remembered switch (cookie), else Accept-Language, else French."""
    asked = asked_language(request)
    if asked is not None:
        return asked
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in LANGUAGES:
        return remembered
    header = request.headers.get("Accept-Language", "")
    wanted = []
    for part in header.split(","):
        code, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            continue
        wanted.append((quality, code.strip().replace("-", "_")))
    wanted.sort(key=lambda pair: -pair[0])
    from babel import Locale

    negotiated = Locale.negotiate([code for _, code in wanted if code], list(LANGUAGES), sep="_")
    return str(negotiated.language) if negotiated is not None else DEFAULT_LANGUAGE


@lru_cache(maxsize=256)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_when(moment: datetime, timezone: str | None, language: str) -> str:
    """A moment as people of that language say it, on the clock of the place (its time zone)."""
    return _when(moment, timezone, language, datetime.now(UTC).year)


# Babel takes about 0.1 ms a date; an agenda page shows fifty, and the same ones page after page.
@lru_cache(maxsize=8192)
def _when(moment: datetime, timezone: str | None, language: str, this_year: int) -> str:
    from babel import UnknownLocaleError
    from babel.dates import format_datetime

    local = moment.astimezone(zone(timezone))
    pattern = WHEN if local.year == this_year else WHEN_WITH_YEAR
    try:
        return format_datetime(local, pattern[language], tzinfo=local.tzinfo, locale=language)
    except UnknownLocaleError:  # pragma: no cover - LANGUAGES are all known to Babel
        return local.isoformat()


def format_day(moment: datetime, timezone: str | None, language: str) -> str:
    from babel.dates import format_date

    local = moment.astimezone(zone(timezone))
    return format_date(local.date(), DAY[language], locale=language)


def format_number(value: float, language: str, digits: int = 1) -> str:
    from babel.numbers import format_decimal

    return format_decimal(round(value, digits), locale=language)
