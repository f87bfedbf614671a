"""Atom feeds (RFC 4287) of the agenda and of open calls, built with feedgen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from server.documents.calendar import plain, zone_of
from server.storage.agenda import AgendaItem
from server.storage.open_calls import StoredCall


def feed(feed_id: str, title: str, self_url: str, page_url: str, author: str) -> Any:
    # feedgen brings lxml, several MB of every process: imported by the first feed asked for.
    from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

    generator = FeedGenerator()
    generator.id(feed_id)
    generator.title(title)
    generator.author({"name": author})
    generator.link(href=self_url, rel="self", type="application/atom+xml")
    generator.link(href=page_url, rel="alternate", type="text/html")
    generator.generator("Maillage")
    generator.language("fr")
    return generator


def finish(generator: Any, newest: datetime | None) -> bytes:
    generator.updated(newest or datetime.now(UTC))
    body: bytes = generator.atom_str(pretty=True)
    return body


def agenda_feed(items: Sequence[AgendaItem], *, self_url: str, page_url: str, author: str) -> bytes:
    generator = feed(self_url, "Agenda", self_url, page_url, author)
    # feedgen prepends entries: add them last to first so the feed reads in start order.
    for item in reversed(items):
        event, fields = item.event, item.event.fields
        entry = generator.add_entry()
        entry.id(event.ap_id)
        cancelled = "[Annulé / Cancelled] " if fields.status == "CANCELLED" else ""
        # The wall-clock time where it happens, with its zone named, as the agenda shows it.
        zone = zone_of(fields.timezone)
        start = fields.start_time.astimezone(zone)
        entry.title(f"{cancelled}{start:%Y-%m-%d %H:%M} ({zone.key}) {fields.name}")
        entry.link(href=fields.url or event.ap_id, rel="alternate")
        entry.published(event.published)
        entry.updated(event.updated)
        entry.author({"name": item.place_name or event.attributed_to, "uri": event.attributed_to})
        entry.summary(plain(fields.content)[:500] or fields.name)
        if fields.content:
            entry.content(fields.content, type="html")
        for term in ([fields.category] if fields.category else []) + fields.tags:
            entry.category(term=term)
    newest = max((item.event.updated for item in items), default=None)
    return finish(generator, newest)


def calls_feed(
    calls: Sequence[StoredCall],
    names: Mapping[str, str],
    *,
    self_url: str,
    page_url: str,
    author: str,
) -> bytes:
    generator = feed(self_url, "Appels / Open calls", self_url, page_url, author)
    for call in reversed(calls):
        fields = call.fields
        entry = generator.add_entry()
        entry.id(call.uri)
        state = "" if fields.status == "open" else f"[{fields.status}] "
        entry.title(f"{state}{fields.title}")
        entry.link(href=call.uri, rel="alternate")
        entry.published(call.published_at)
        entry.updated(call.updated_at)
        entry.author({"name": names.get(call.actor_uri, call.actor_uri), "uri": call.actor_uri})
        summary = fields.summary or plain(fields.content_html or fields.description)[:500]
        entry.summary(summary or fields.title)
        if fields.content_html:
            entry.content(fields.content_html, type="html")
        entry.category(term=fields.kind)
        for skill in fields.skills_wanted:
            entry.category(term=skill)
    newest = max((call.updated_at for call in calls), default=None)
    return finish(generator, newest)
