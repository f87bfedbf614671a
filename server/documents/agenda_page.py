"""The agenda as a web page (French and English), rendered on the server and escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import urlencode

from server.documents.events import local_time
from server.storage.agenda import AgendaItem

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<title>Agenda du réseau / Network agenda</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="alternate" type="text/calendar" href="{ics}" title="iCalendar">
<link rel="alternate" type="application/atom+xml" href="{atom}" title="Atom">
</head><body><main>
<h1><span lang="fr">Agenda du réseau</span> / <span lang="en">Network agenda</span></h1>
<form method="get" action="/agenda">
{fields}
<button type="submit"><span lang="fr">Filtrer</span> / <span lang="en">Filter</span></button>
</form>
{error}
<p><a href="{ics}">iCalendar</a> · <a href="{atom}">Atom</a></p>
<ol class="agenda">
{items}
</ol>
{empty}{more}
</main></body></html>
"""

FIELDS = (
    ("from", "Depuis", "From", "datetime-local"),
    ("to", "Jusqu'à", "Until", "datetime-local"),
    ("q", "Texte", "Text", "search"),
    ("tag", "Étiquettes", "Tags", "text"),
    ("category", "Catégorie", "Category", "text"),
    ("place", "Lieu (acteur)", "Place (actor)", "url"),
    ("latitude", "Latitude", "Latitude", "text"),
    ("longitude", "Longitude", "Longitude", "text"),
    ("km", "Rayon (km)", "Radius (km)", "text"),
)


def form_fields(query: Mapping[str, str]) -> str:
    rows = [
        f'<label><span lang="fr">{fr}</span> / <span lang="en">{en}</span> '
        f'<input name="{name}" type="{kind}" value="{escape(query.get(name, ""))}"></label>'
        for name, fr, en, kind in FIELDS
    ]
    checked = " checked" if query.get("now") in ("1", "true", "on") else ""
    rows.append(
        f'<label><input type="checkbox" name="now" value="true"{checked}> '
        '<span lang="fr">En ce moment</span> / <span lang="en">Happening now</span></label>'
    )
    return "\n".join(rows)


def item_html(item: AgendaItem) -> str:
    event, fields = item.event, item.event.fields
    start = local_time(fields.start_time, fields.timezone)
    when = start.strftime("%Y-%m-%d %H:%M ") + (fields.timezone or "UTC")
    cancelled = (
        '<strong class="cancelled"><span lang="fr">Annulé</span> / '
        '<span lang="en">Cancelled</span></strong> '
        if fields.status == "CANCELLED"
        else ""
    )
    name = escape(fields.name)
    title = f"<del>{name}</del>" if fields.status == "CANCELLED" else name
    origin = escape(fields.url or event.ap_id)
    place = escape(item.place_name or event.attributed_to)
    distance = "" if item.distance_km is None else f" · {item.distance_km:.1f} km"
    tags = " ".join(f"#{escape(tag)}" for tag in fields.tags)
    category = escape(fields.category or "")
    return (
        f'<li class="event{" cancelled" if cancelled else ""}">'
        f'<time datetime="{escape(start.isoformat())}">{escape(when)}</time> '
        f'{cancelled}<a href="{origin}">{title}</a>'
        f' — <span class="place">{place}</span>{distance}'
        f" <small>{category} {tags}</small></li>"
    )


def agenda_page(
    items: Sequence[AgendaItem],
    query: Mapping[str, str],
    next_cursor: str | None,
    error: str | None = None,
) -> str:
    kept = {key: value for key, value in query.items() if key != "cursor" and value}
    suffix = ("?" + urlencode(kept)) if kept else ""
    more = ""
    if next_cursor is not None:
        more = (
            f'<p><a rel="next" href="/agenda?{escape(urlencode(kept | {"cursor": next_cursor}))}">'
            '<span lang="fr">Suite</span> / <span lang="en">More</span></a></p>'
        )
    return PAGE.format(
        ics=escape("/agenda.ics" + suffix),
        atom=escape("/agenda.atom" + suffix),
        fields=form_fields(query),
        error="" if error is None else f'<p role="alert">{escape(error)}</p>',
        items="\n".join(item_html(item) for item in items),
        empty=(
            ""
            if items or error
            else '<p><span lang="fr">Aucun événement.</span> / '
            '<span lang="en">No events.</span></p>'
        ),
        more=more,
    )
