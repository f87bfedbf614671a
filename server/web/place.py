"""The place profile editor: name, description, address and coordinates, weekly hours with
exceptions, services, kinds of space, links. Checked whole by the API's PlaceProfile model and
published to the followers by the same processing as PUT /api/v1/place."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from schemas.api_place import PlaceProfile, Service, SpaceKind
from server.appkeys import SERVICES
from server.processing.place_profile import current_profile, save_and_publish
from server.web.forms import N_
from server.web.home import DAYS
from server.web.i18n import language_of
from server.web.rendering import render
from server.web.sessions import account_for_action, posted_form, redirect

EDIT = ("PUT", "/api/v1/place")
# "2026-12-24 closed", "2026-12-24 to 2026-12-26 10:00-12:00 Christmas"
EXCEPTION = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:\s+(?:to|au|->|→)\s+(\d{4}-\d{2}-\d{2}))?"
    r"(?:\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2}))?\s*(.*)$"
)
CLOSED_WORDS = {"closed", "fermé", "ferme"}
# How an exception line is written back in the editor, in the words the parser reads: (to, closed).
EXCEPTION_WORDS = {"fr": ("au", "fermé"), "en": ("to", "closed")}
MESSAGES = {
    "name": N_("Give the place a name (200 characters at most)."),
    "latitude": N_("A latitude between -90 and 90, like 44.5181."),
    "longitude": N_("A longitude between -180 and 180, like 3.5012."),
    "timezone": N_("A time zone like Europe/Paris."),
    "opening_hours": N_("Hours as 09:00 and 18:00; a day with no hours is closed."),
    "opening_exceptions": N_(
        "One per line: 2026-12-24 closed, or 2026-12-26 to 2026-12-31 10:00-12:00 holidays."
    ),
    "links": N_("One per line: a name, then | and an address starting with https://"),
    "other_services": N_("Words of 80 characters at most, separated by commas."),
    "other_space_kinds": N_("Words of 80 characters at most, separated by commas."),
    "address": N_("This address is too long."),
    "accessibility": N_("One per line, 200 characters at most each."),
    "labels": N_("Words of 200 characters at most, separated by commas."),
    "prices": N_("One per line: what, then | and the price, then optionally | EUR and | per day."),
    "images": N_(
        "One per line: what the photo shows, then | and its address starting with https://; "
        "10 at most."
    ),
}
INVALID = N_("This value is not valid.")


class FormProblem(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/manage/place", place_page)
    router.add_post("/manage/place", save_place)


def words(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def form_of(profile: PlaceProfile, language: str) -> dict[str, str]:
    address = profile.address
    values = {
        "name": profile.name,
        "description": profile.description,
        "street_address": (address.street_address or "") if address else "",
        "postal_code": (address.postal_code or "") if address else "",
        "locality": (address.locality or "") if address else "",
        "region": (address.region or "") if address else "",
        "country": (address.country or "") if address else "",
        "latitude": "" if profile.latitude is None else str(profile.latitude),
        "longitude": "" if profile.longitude is None else str(profile.longitude),
        "timezone": profile.timezone or "",
        "other_services": ", ".join(profile.other_services),
        "other_space_kinds": ", ".join(profile.other_space_kinds),
        "opening_exceptions": "\n".join(
            exception_line(e, language) for e in profile.opening_exceptions
        ),
        "links": "\n".join(f"{link.name} | {link.url}" for link in profile.links),
        "accessibility": "\n".join(profile.accessibility),
        "labels": ", ".join(profile.labels),
        "prices": "\n".join(price_line(price) for price in profile.prices),
        "images": "\n".join(image_line(image) for image in profile.images),
    }
    if profile.manually_approves_followers:
        values["manually_approves_followers"] = "on"
    for service in profile.services:
        values[f"service-{service.value}"] = "on"
    for kind in profile.space_kinds:
        values[f"kind-{kind.value}"] = "on"
    for day in DAYS:
        spans = [hours for hours in profile.opening_hours if day in hours.days]
        if spans:
            values[f"opens-{day}"] = spans[0].opens.strftime("%H:%M")
            values[f"closes-{day}"] = spans[0].closes.strftime("%H:%M")
    return values


def exception_line(exception: Any, language: str) -> str:
    to, closed = EXCEPTION_WORDS.get(language, EXCEPTION_WORDS["en"])
    line: str = exception.starts.isoformat()
    if exception.ends and exception.ends != exception.starts:
        line += f" {to} {exception.ends.isoformat()}"
    if exception.opens is not None and exception.closes is not None:
        line += f" {exception.opens.strftime('%H:%M')}-{exception.closes.strftime('%H:%M')}"
    else:
        line += f" {closed}"
    return line + (f" {exception.reason}" if exception.reason else "")


def parsed_exceptions(text: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = EXCEPTION.match(line.strip())
        if match is None:
            raise FormProblem("opening_exceptions")
        starts, ends, opens, closes, reason = match.groups()
        try:
            date.fromisoformat(starts)
            if ends:
                date.fromisoformat(ends)
        except ValueError:
            raise FormProblem("opening_exceptions") from None
        first, _, rest = reason.strip().partition(" ")
        if first.lower() in CLOSED_WORDS:
            reason = rest.strip()
        found.append(
            {
                "starts": starts,
                "ends": ends,
                "opens": opens.zfill(5) if opens else None,
                "closes": closes.zfill(5) if closes else None,
                "reason": reason or None,
            }
        )
    return found


def price_line(price: Any) -> str:
    parts = [price.name, price.price, price.currency or "", price.unit or ""]
    while parts[-1] == "":
        parts.pop()
    return " | ".join(parts)


def parsed_prices(text: str) -> list[dict[str, str | None]]:
    """'Day desk | 15 | EUR | per day' per line; currency and unit may be left out."""
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) < 2 or len(parts) > 4:
            raise FormProblem("prices")
        name, price, currency, unit = [*parts, "", ""][:4]
        found.append(
            {
                "name": name,
                "price": price,
                "currency": currency.upper() or None,
                "unit": unit or None,
            }
        )
    return found


def image_line(image: Any) -> str:
    return f"{image.description} | {image.url}" if image.description else str(image.url)


def parsed_images(text: str) -> list[dict[str, str | None]]:
    """'What it shows | https://…' per line; a bare address is an image without a description."""
    found = []
    for line in lines(text):
        description, _, url = line.rpartition("|")
        found.append({"url": url.strip(), "description": description.strip() or None})
    return found


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def parsed_links(text: str) -> list[dict[str, str]]:
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, bar, url = line.rpartition("|")
        if not bar or not name.strip():
            raise FormProblem("links")
        found.append({"name": name.strip(), "url": url.strip()})
    return found


def weekly_hours(form: dict[str, str]) -> list[dict[str, Any]]:
    found = []
    for day in DAYS:
        opens, closes = form.get(f"opens-{day}", "").strip(), form.get(f"closes-{day}", "").strip()
        if not opens and not closes:
            continue
        try:
            found.append(
                {
                    "days": [day],
                    "opens": time.fromisoformat(opens.zfill(5)).isoformat(),
                    "closes": time.fromisoformat(closes.zfill(5)).isoformat(),
                }
            )
        except ValueError:
            raise FormProblem("opening_hours") from None
    return found


def profile_input(form: dict[str, str], stored: PlaceProfile) -> dict[str, Any]:
    """The form as the API's PlaceProfile input; what the form does not show is kept."""
    value = {key: text.strip() for key, text in form.items()}
    address = {
        name: value.get(name) or None
        for name in ("street_address", "postal_code", "locality", "region", "country")
    }
    return stored.model_dump(mode="json") | {
        "name": value.get("name", ""),
        "description": form.get("description", "").strip(),
        "address": address if any(address.values()) else None,
        "latitude": value.get("latitude") or None,
        "longitude": value.get("longitude") or None,
        "timezone": value.get("timezone") or None,
        "opening_hours": weekly_hours(value),
        "opening_exceptions": parsed_exceptions(form.get("opening_exceptions", "")),
        "services": [s.value for s in Service if value.get(f"service-{s.value}")],
        "other_services": words(value.get("other_services", "")),
        "space_kinds": [k.value for k in SpaceKind if value.get(f"kind-{k.value}")],
        "other_space_kinds": words(value.get("other_space_kinds", "")),
        "links": parsed_links(form.get("links", "")),
        "accessibility": lines(form.get("accessibility", "")),
        "labels": words(value.get("labels", "")),
        "prices": parsed_prices(form.get("prices", "")),
        "images": parsed_images(form.get("images", "")),
        "manually_approves_followers": bool(value.get("manually_approves_followers")),
    }


def editor(
    request: web.Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> web.Response:
    shown = {
        "values": values,
        "errors": errors,
        "services": [s.value for s in Service],
        "kinds": [k.value for k in SpaceKind],
        "days": list(enumerate(DAYS)),
    }
    return render(request, "place_form.html", shown, status=status)


async def place_page(request: web.Request) -> web.Response:
    account_for_action(request, *EDIT)
    async with request.app[SERVICES].pool.acquire() as connection:
        profile = await current_profile(connection)
    return editor(request, form_of(profile, language_of(request)), {})


async def save_place(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *EDIT)
    form = await posted_form(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection, connection.transaction():
        stored = await current_profile(connection, for_update=True)
        try:
            profile = PlaceProfile.model_validate(profile_input(form, stored))
        except FormProblem as problem:
            return editor(request, form, {problem.field: MESSAGES[problem.field]}, status=422)
        except ValidationError as error:
            errors: dict[str, str] = {}
            for item in error.errors():
                name = str(item["loc"][0]) if item["loc"] else "name"
                errors.setdefault(name, MESSAGES.get(name, INVALID))
            return editor(request, form, errors, status=422)
        await save_and_publish(connection, services.urls, profile)
    raise redirect(request, "/manage/place", "place-saved")
